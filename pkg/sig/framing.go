package sig

import "fmt"

// maxNesting bounds how deeply constructed elements may nest in a
// signature. A PKCS#7 signature from openssl nests 11 levels deep (depth 10
// in "openssl asn1parse": an X.509 extension inside its certificate inside
// the SignedData inside the ContentInfo); the limit leaves
// room while keeping the PKCS#7 library's BER-to-DER conversion, which
// copies every element once per enclosing level, near linear: without it a
// 64 KiB signature of 16,000 nested SEQUENCEs makes the library allocate
// 550 MB and spend half a second (measured), and more on a slow CPU.
const maxNesting = 32

// maxElements bounds the number of elements (TLVs) in a signature. One
// certificate has about 55 and the SignerInfo with signed attributes about
// 40 (openssl asn1parse counts 69 elements in a one-certificate signature
// without signed attributes, 105 with them), so 8 certificates stay far
// below the limit. The library allocates about 150 bytes per element; the
// limit keeps that under 1 MB for any input (64 KiB of two-byte NULLs would
// otherwise make it allocate 5 MB).
const maxElements = 4096

// checkFraming walks the tag-length-value framing of a BER/DER element
// without interpreting it, before the PKCS#7 library sees the bytes. It
// refuses input the library would parse only at great cost or accept with
// junk attached: nesting deeper than maxNesting, more than maxElements
// elements, an element whose length
// runs past the end of the input or of its parent (a truncated signature),
// and bytes after the one top-level element. It is deliberately no stricter
// than the library on well-framed input: tag numbers, length encodings and
// contents are left to it.
func checkFraming(b []byte) error {
	// For each open constructed element: where its content ends (-1 for
	// the indefinite form, ended by 00 00), and the bound its content must
	// stay within (its own end, or its nearest definite ancestor's).
	var ends, bounds [maxNesting + 1]int
	depth, pos, elements := 0, 0, 0
	for {
		// Close the elements that end here.
		for depth > 0 {
			if end := ends[depth-1]; end >= 0 && pos == end {
				depth--
				continue
			} else if end < 0 && pos+1 < bounds[depth-1] && b[pos] == 0 && b[pos+1] == 0 {
				pos += 2
				depth--
				continue
			}
			break
		}
		if depth == 0 && pos > 0 {
			if pos != len(b) {
				return fmt.Errorf("signature ends at byte %d but is followed by %d more bytes", pos, len(b)-pos)
			}
			return nil
		}
		bound := len(b)
		if depth > 0 {
			bound = bounds[depth-1]
		}
		start := pos
		if elements++; elements > maxElements {
			return fmt.Errorf("more than %d elements at byte %d", maxElements, start)
		}
		if pos >= bound {
			return truncated(start, bound == len(b))
		}
		tag := b[pos]
		pos++
		if tag&0x1f == 0x1f { // high tag number: base-128 digits, last one < 0x80
			for pos < bound && b[pos]&0x80 != 0 {
				pos++
			}
			pos++
		}
		if pos >= bound {
			return truncated(start, bound == len(b))
		}
		l := int(b[pos])
		pos++
		indefinite := l == 0x80
		if l > 0x80 {
			n := l & 0x7f
			if n > 4 {
				return fmt.Errorf("length of element at byte %d has %d bytes, more than 4", start, n)
			}
			if n > bound-pos {
				return truncated(start, bound == len(b))
			}
			l = 0
			for _, c := range b[pos : pos+n] {
				l = l<<8 | int(c)
			}
			pos += n
		}
		if !indefinite && (l < 0 || l > bound-pos) {
			if bound == len(b) {
				return fmt.Errorf("truncated: element at byte %d is %d bytes long, only %d follow", start, l, len(b)-pos)
			}
			return fmt.Errorf("element at byte %d runs past the end of its parent", start)
		}
		if tag&0x20 == 0 { // primitive
			if indefinite {
				return fmt.Errorf("primitive element at byte %d has an indefinite length", start)
			}
			pos += l
			continue
		}
		if depth == maxNesting {
			return fmt.Errorf("elements nest more than %d levels deep at byte %d", maxNesting, start)
		}
		if indefinite {
			ends[depth], bounds[depth] = -1, bound
		} else {
			ends[depth], bounds[depth] = pos+l, pos+l
		}
		depth++
	}
}

// truncated describes an element header cut off at the end of the input,
// or at the end of its parent.
func truncated(start int, atEnd bool) error {
	if atEnd {
		return fmt.Errorf("truncated: input ends inside the element at byte %d", start)
	}
	return fmt.Errorf("element at byte %d runs past the end of its parent", start)
}

// toDER re-encodes a BER element that checkFraming accepted with DER
// lengths: indefinite lengths become definite and every length takes its
// shortest form, as the PKCS#7 converter crypto libraries apply
// (smallstep/pkcs7's ber2der) does; tags and contents are kept. The
// signed attributes are checked over this form, so a signature from a
// streaming (BER) encoder verifies like its DER twin. Input that is
// already DER is returned as is. A long-form length with a leading zero
// byte is refused.
func toDER(b []byte) ([]byte, error) {
	var lens []int // DER content length of each constructed element, in pre-order
	der := true
	if _, _, err := measureBER(b, 0, &lens, &der); err != nil {
		return nil, err
	}
	if der {
		return b, nil
	}
	out := make([]byte, 0, len(b))
	out, _ = emitDER(out, b, 0, lens, new(int))
	return out, nil
}

// identEnd returns the position after the identifier octets of the
// element at pos.
func identEnd(b []byte, pos int) int {
	p := pos + 1
	if b[pos]&0x1f == 0x1f { // high tag number: base-128 digits, last one < 0x80
		for b[p]&0x80 != 0 {
			p++
		}
		p++
	}
	return p
}

// berHeader reads the identifier and length octets of the element at pos
// (well-framed: checkFraming passed). It returns where the content starts,
// the length (-1 for the indefinite form) and whether the length was in
// its shortest definite form.
func berHeader(b []byte, pos int) (start, length int, minimal bool, err error) {
	p := identEnd(b, pos)
	l := int(b[p])
	p++
	switch {
	case l == 0x80:
		return p, -1, false, nil
	case l < 0x80:
		return p, l, true, nil
	}
	n := l & 0x7f
	if b[p] == 0 {
		return 0, 0, false, fmt.Errorf("length of element at byte %d has a leading zero byte", pos)
	}
	l = 0
	for _, c := range b[p : p+n] {
		l = l<<8 | int(c)
	}
	return p + n, l, l >= 0x80, nil
}

// derLengthBytes is the size of the DER length octets for l content bytes.
func derLengthBytes(l int) int {
	if l < 0x80 {
		return 1
	}
	n := 1
	for ; l > 0; l >>= 8 {
		n++
	}
	return n
}

// appendDERLength appends the DER length octets for l content bytes.
func appendDERLength(out []byte, l int) []byte {
	if l < 0x80 {
		return append(out, byte(l))
	}
	n := derLengthBytes(l) - 1
	out = append(out, 0x80|byte(n))
	for i := n - 1; i >= 0; i-- {
		out = append(out, byte(l>>(8*i)))
	}
	return out
}

// measureBER walks the element at pos, records the DER content length of
// each constructed element in lens, and returns the position after the
// element and its DER size. *der is cleared when a length is not DER.
func measureBER(b []byte, pos int, lens *[]int, der *bool) (next, size int, err error) {
	start, length, minimal, err := berHeader(b, pos)
	if err != nil {
		return 0, 0, err
	}
	*der = *der && minimal
	tagLen := identEnd(b, pos) - pos
	if b[pos]&0x20 == 0 {
		return start + length, tagLen + derLengthBytes(length) + length, nil
	}
	idx := len(*lens)
	*lens = append(*lens, 0)
	content, p := 0, start
	for {
		if length >= 0 && p == start+length {
			break
		}
		if length < 0 && b[p] == 0 && b[p+1] == 0 {
			p += 2
			break
		}
		var n int
		if p, n, err = measureBER(b, p, lens, der); err != nil {
			return 0, 0, err
		}
		content += n
	}
	(*lens)[idx] = content
	return p, tagLen + derLengthBytes(content) + content, nil
}

// emitDER appends the DER form of the element at pos, using the lengths
// measureBER recorded, and returns the position after the element.
func emitDER(out, b []byte, pos int, lens []int, idx *int) ([]byte, int) {
	start, length, _, _ := berHeader(b, pos)
	out = append(out, b[pos:identEnd(b, pos)]...)
	if b[pos]&0x20 == 0 {
		out = appendDERLength(out, length)
		return append(out, b[start:start+length]...), start + length
	}
	out = appendDERLength(out, lens[*idx])
	*idx++
	p := start
	for {
		if length >= 0 && p == start+length {
			return out, p
		}
		if length < 0 && b[p] == 0 && b[p+1] == 0 {
			return out, p + 2
		}
		out, p = emitDER(out, b, p, lens, idx)
	}
}
