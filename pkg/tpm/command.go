// Package tpm measures what verinit verified into a TPM 2.0: the three
// commands it needs (TPM2_GetCapability for the PCR banks, TPM2_PCR_Extend,
// TPM2_PCR_Read) encoded and decoded by hand, as the TPM 2.0 Library
// specification, Part 3 lays them out, and the event log a verifier
// replays. It links no TPM library: google/go-tpm, the tests' oracle, would
// add more to the init than these few hundred lines.
//
// The encoders and decoders are pure; device_linux.go talks to
// /dev/tpmrm0 or /dev/tpm0 with a bound on every command.
package tpm

import (
	"crypto"
	"encoding/binary"
	"fmt"
	"strconv"

	_ "crypto/sha1"   // for the sha1 bank
	_ "crypto/sha256" // for the sha256 bank
	_ "crypto/sha512" // for the sha384 and sha512 banks
)

// Alg is a TPM_ALG_ID of a hash: the PCR bank it names.
type Alg uint16

// The banks verinit extends when the TPM has them.
const (
	SHA1   Alg = 0x0004
	SHA256 Alg = 0x000B
	SHA384 Alg = 0x000C
	SHA512 Alg = 0x000D
)

// Hash returns the Go hash of a, or 0 for a bank verinit cannot compute
// (SM3, say).
func (a Alg) Hash() crypto.Hash {
	switch a {
	case SHA1:
		return crypto.SHA1
	case SHA256:
		return crypto.SHA256
	case SHA384:
		return crypto.SHA384
	case SHA512:
		return crypto.SHA512
	}
	return 0
}

// String is the bank's name as Linux's /sys/class/tpm/tpm0/pcr-NAME and
// tpm2-tools spell it.
func (a Alg) String() string {
	switch a {
	case SHA1:
		return "sha1"
	case SHA256:
		return "sha256"
	case SHA384:
		return "sha384"
	case SHA512:
		return "sha512"
	}
	return "alg-0x" + strconv.FormatUint(uint64(a), 16)
}

// ParseAlg is the inverse of String for the banks verinit knows.
func ParseAlg(s string) (Alg, bool) {
	for _, a := range []Alg{SHA1, SHA256, SHA384, SHA512} {
		if a.String() == s {
			return a, true
		}
	}
	return 0, false
}

// Digest is one bank's digest.
type Digest struct {
	Alg    Alg
	Digest []byte
}

// MaxPCR is the highest PCR of a PC Client TPM (24 PCRs).
const MaxPCR = 23

// Command codes and the other constants of the commands used.
const (
	tagNoSessions  = 0x8001 // TPM_ST_NO_SESSIONS
	tagSessions    = 0x8002 // TPM_ST_SESSIONS
	ccPCRExtend    = 0x0182
	ccPCRRead      = 0x017E
	ccGetCapablity = 0x017A
	capPCRs        = 0x00000005 // TPM_CAP_PCRS
	rsPW           = 0x40000009 // TPM_RS_PW: the empty password of a PCR
	headerBytes    = 10         // tag, size, command or response code
	// MaxResponse bounds a response: the kernel's TPM_BUFSIZE.
	MaxResponse = 4096
	// selectBytes is sizeofSelect: three bytes cover 24 PCRs.
	selectBytes = 3
)

// commandName names a command in errors.
func commandName(cc uint32) string {
	switch cc {
	case ccPCRExtend:
		return "TPM2_PCR_Extend"
	case ccPCRRead:
		return "TPM2_PCR_Read"
	case ccGetCapablity:
		return "TPM2_GetCapability"
	}
	return fmt.Sprintf("command 0x%x", cc)
}

// command is a command under construction.
type command []byte

func newCommand(tag uint16, cc uint32) command {
	c := make(command, headerBytes, 64)
	binary.BigEndian.PutUint16(c, tag)
	binary.BigEndian.PutUint32(c[6:], cc)
	return c
}

func (c command) u8(v uint8) command   { return append(c, v) }
func (c command) u16(v uint16) command { return binary.BigEndian.AppendUint16(c, v) }
func (c command) u32(v uint32) command { return binary.BigEndian.AppendUint32(c, v) }

// done fills in the size.
func (c command) done() []byte {
	binary.BigEndian.PutUint32(c[2:], uint32(len(c)))
	return c
}

// selection appends a TPMS_PCR_SELECTION of pcr in bank a.
func (c command) selection(a Alg, pcr int) command {
	var sel [selectBytes]byte
	sel[pcr/8] = 1 << (pcr % 8)
	return append(c.u16(uint16(a)).u8(selectBytes), sel[:]...)
}

// GetPCRsCommand asks which PCRs each bank has (TPM2_GetCapability,
// TPM_CAP_PCRS).
func GetPCRsCommand() []byte {
	return newCommand(tagNoSessions, ccGetCapablity).u32(capPCRs).u32(0).u32(1).done()
}

// ExtendCommand extends pcr with one digest per bank, authorised with
// the empty password (TPM_RS_PW) PCRs have.
func ExtendCommand(pcr int, digests []Digest) []byte {
	c := newCommand(tagSessions, ccPCRExtend).u32(uint32(pcr))
	// TPMS_AUTH_COMMAND: handle, empty nonce, no attributes, empty hmac
	c = c.u32(4 + 2 + 1 + 2).u32(rsPW).u16(0).u8(0).u16(0)
	c = c.u32(uint32(len(digests)))
	for _, d := range digests {
		c = append(c.u16(uint16(d.Alg)), d.Digest...)
	}
	return c.done()
}

// ReadCommand reads pcr in each of banks.
func ReadCommand(pcr int, banks []Alg) []byte {
	c := newCommand(tagNoSessions, ccPCRRead).u32(uint32(len(banks)))
	for _, a := range banks {
		c = c.selection(a, pcr)
	}
	return c.done()
}

// ResponseError is a TPM's answer other than TPM_RC_SUCCESS.
type ResponseError struct {
	Command string
	Code    uint32
}

func (e *ResponseError) Error() string {
	s := fmt.Sprintf("tpm: %s: response code 0x%03x", e.Command, e.Code)
	if n := rcName(e.Code); n != "" {
		s += " (" + n + ")"
	}
	return s
}

// rcName names the response codes a PCR command may meet.
func rcName(rc uint32) string {
	switch rc {
	case 0x100:
		return "TPM_RC_INITIALIZE: the TPM was not started up"
	case 0x101:
		return "TPM_RC_FAILURE: the TPM is in failure mode"
	case 0x907:
		return "TPM_RC_LOCALITY: the PCR cannot be extended from this locality"
	case 0x908:
		return "TPM_RC_YIELDED"
	case 0x922:
		return "TPM_RC_RETRY"
	}
	if rc&0x80 != 0 { // format one: a parameter, handle or session number
		return fmt.Sprintf("format-one error 0x%02x at %s %d", rc&0x3f, map[bool]string{true: "parameter", false: "handle or session"}[rc&0x40 != 0], rc>>8&0xf)
	}
	return ""
}

// reader decodes a response body; the first error sticks.
type reader struct {
	b   []byte
	off int
	err error
	cmd string
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("tpm: %s: response ends in %s at byte %d", r.cmd, what, r.off)
	}
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil || n < 0 || len(r.b)-r.off < n {
		r.fail(what)
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

func (r *reader) u8(what string) uint8 {
	if b := r.take(1, what); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16(what string) uint16 {
	if b := r.take(2, what); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32(what string) uint32 {
	if b := r.take(4, what); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// response checks a response's header against the command it answers and
// returns a reader of what follows it.
func response(b []byte, cc uint32, sessions bool) (*reader, error) {
	name := commandName(cc)
	if len(b) < headerBytes {
		return nil, fmt.Errorf("tpm: %s: response of %d bytes, shorter than its header", name, len(b))
	}
	tag, size, rc := binary.BigEndian.Uint16(b), binary.BigEndian.Uint32(b[2:]), binary.BigEndian.Uint32(b[6:])
	if size != uint32(len(b)) {
		return nil, fmt.Errorf("tpm: %s: response says %d bytes, %d came", name, size, len(b))
	}
	if rc != 0 {
		return nil, &ResponseError{Command: name, Code: rc}
	}
	want := uint16(tagNoSessions)
	if sessions {
		want = tagSessions
	}
	if tag != want {
		return nil, fmt.Errorf("tpm: %s: response tag 0x%04x, want 0x%04x (a TPM 1.2 answers 0x00c4)", name, tag, want)
	}
	return &reader{b: b, off: headerBytes, cmd: name}, nil
}

// Banks are the PCR banks a TPM has and whether each holds a PCR.
type Banks []Bank

// Bank is one TPMS_PCR_SELECTION of TPM_CAP_PCRS: a bank and its PCRs.
type Bank struct {
	Alg    Alg
	Select []byte // bit n of byte n/8: PCR n is allocated
}

// Has reports whether PCR pcr is allocated in the bank.
func (b Bank) Has(pcr int) bool { return pcr/8 < len(b.Select) && b.Select[pcr/8]&(1<<(pcr%8)) != 0 }

// ParseGetPCRs decodes the response to GetPCRsCommand.
func ParseGetPCRs(b []byte) (Banks, error) {
	r, err := response(b, ccGetCapablity, false)
	if err != nil {
		return nil, err
	}
	r.u8("moreData")
	if c := r.u32("capability"); r.err == nil && c != capPCRs {
		return nil, fmt.Errorf("tpm: %s: capability 0x%x in the response, want TPM_CAP_PCRS", r.cmd, c)
	}
	n := r.u32("TPML_PCR_SELECTION count")
	if r.err == nil && n > 16 {
		return nil, fmt.Errorf("tpm: %s: %d PCR banks, more than 16", r.cmd, n)
	}
	var out Banks
	for i := uint32(0); i < n && r.err == nil; i++ {
		alg := Alg(r.u16("hash"))
		size := r.u8("sizeofSelect")
		sel := r.take(int(size), "pcrSelect")
		out = append(out, Bank{Alg: alg, Select: sel})
	}
	return out, r.err
}

// ParseExtend checks the response to ExtendCommand.
func ParseExtend(b []byte) error {
	_, err := response(b, ccPCRExtend, true)
	return err
}

// ParseRead decodes the response to ReadCommand(pcr, banks): the PCR's
// value in each bank, in the order asked. A bank the TPM left out of its
// answer is an error.
func ParseRead(b []byte, pcr int, banks []Alg) ([]Digest, error) {
	r, err := response(b, ccPCRRead, false)
	if err != nil {
		return nil, err
	}
	r.u32("pcrUpdateCounter")
	n := r.u32("TPML_PCR_SELECTION count")
	if r.err == nil && n > 16 {
		return nil, fmt.Errorf("tpm: %s: %d PCR banks, more than 16", r.cmd, n)
	}
	var got []Alg // the banks whose value follows, in order
	for i := uint32(0); i < n && r.err == nil; i++ {
		a := Alg(r.u16("hash"))
		sel := r.take(int(r.u8("sizeofSelect")), "pcrSelect")
		if (Bank{a, sel}).Has(pcr) {
			got = append(got, a)
		}
	}
	count := r.u32("TPML_DIGEST count")
	if r.err == nil && int(count) != len(got) {
		return nil, fmt.Errorf("tpm: %s: %d digests for %d selected banks", r.cmd, count, len(got))
	}
	values := map[Alg][]byte{}
	for _, a := range got {
		values[a] = r.take(int(r.u16("digest size")), "digest")
	}
	if r.err != nil {
		return nil, r.err
	}
	out := make([]Digest, len(banks))
	for i, a := range banks {
		v, ok := values[a]
		if !ok {
			return nil, fmt.Errorf("tpm: %s: no value for PCR %d in bank %s", r.cmd, pcr, a)
		}
		if h := a.Hash(); h != 0 && len(v) != h.Size() {
			return nil, fmt.Errorf("tpm: %s: %s value of %d bytes, want %d", r.cmd, a, len(v), h.Size())
		}
		out[i] = Digest{a, v}
	}
	return out, nil
}
