package tpm

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// EventType is what one event measures.
type EventType string

// The events, in the order verinit extends them.
const (
	EventPolicy    EventType = "policy"     // the policy in force
	EventRoot      EventType = "root"       // the root's verity root hash, or "unverified", "tmpfs"
	EventUsr       EventType = "usr"        // a separate /usr's verity hash, or "unverified"
	EventSigner    EventType = "signer"     // SHA-256 of the certificate that signed the root hash
	EventUsrSigner EventType = "usr-signer" // the same for /usr
	EventSlot      EventType = "slot"       // the A/B slot booted, as the command line named it
	// EventFailure caps the PCR after a failed boot (Cap).
	EventFailure EventType = "failure"
)

// Measured is what a boot measures; the init fills it from what it did,
// `verinit tpm predict` from what the init would do.
type Measured struct {
	Policy    string // config.Policy.String() of the policy in force
	RootHash  string // hex; "" when the root is not verified
	Root      string // when RootHash is "": "tmpfs" or "unverified"
	UsrHash   string // a verified /usr's hash (hex)
	Usr       string // "unverified" for a /usr mounted without verity; "" for none
	Signer    string // SHA-256 fingerprint (hex) of the root hash's signer, if signed
	UsrSigner string // the same for the usr hash
	Slot      string // "rauc.slot=A", the slot keys of the command line; "" for none
}

// Event is one measurement: its data and that data's digest in each bank.
type Event struct {
	PCR     int
	Type    EventType
	Data    string // what was hashed: "verinit-TYPE:VALUE"
	Digests []Digest
}

// Events are the events of m, in order, for pcr, with digests in banks.
// Each event's data names verinit and the type, so that no value can pass
// for another, in this PCR or among systemd's measurements in it.
func (m Measured) Events(pcr int, banks []Alg) []Event {
	var out []Event
	add := func(t EventType, v string) { out = append(out, newEvent(pcr, t, v, banks)) }
	add(EventPolicy, m.Policy)
	if m.RootHash != "" {
		add(EventRoot, strings.ToLower(m.RootHash))
	} else {
		add(EventRoot, m.Root)
	}
	switch {
	case m.UsrHash != "":
		add(EventUsr, strings.ToLower(m.UsrHash))
	case m.Usr != "":
		add(EventUsr, m.Usr)
	}
	if m.Signer != "" {
		add(EventSigner, m.Signer)
	}
	if m.UsrSigner != "" {
		add(EventUsrSigner, m.UsrSigner)
	}
	add(EventSlot, m.Slot)
	return out
}

// newEvent is the event of type t with value v, hashed in banks.
func newEvent(pcr int, t EventType, v string, banks []Alg) Event {
	data := "verinit-" + string(t) + ":" + printable(v)
	e := Event{PCR: pcr, Type: t, Data: data}
	for _, a := range banks {
		h := a.Hash().New()
		h.Write([]byte(data))
		e.Digests = append(e.Digests, Digest{a, h.Sum(nil)})
	}
	return e
}

// printable returns v, or v quoted in Go's ASCII-only form when it holds
// anything but printable ASCII (a slot value from the command line may):
// the log's JSON string then carries exactly the bytes hashed.
func printable(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return strconv.QuoteToASCII(v)
		}
	}
	return v
}

// Replay returns the value a PCR reaches in bank a from start (all zero
// after a TPM reset) when events are extended into it in order: for each,
// PCR = H(PCR || digest).
func Replay(start []byte, a Alg, events []Event) []byte {
	h := a.Hash()
	v := start
	if v == nil {
		v = make([]byte, h.Size())
	}
	for _, e := range events {
		for _, d := range e.Digests {
			if d.Alg != a {
				continue
			}
			x := h.New()
			x.Write(v)
			x.Write(d.Digest)
			v = x.Sum(nil)
		}
	}
	return v
}

// AppendLog appends events as the JSON array verinit writes to
// /run/verinit/tpm-events.json: records in the shape of the TCG Canonical
// Event Log's JSON form (CEL-JSON) that systemd's TPM log uses,
//
//	{"recnum":1,"pcr":15,"digests":[{"hashAlg":"sha256","digest":"..."}],
//	 "content_type":"verinit","content":{"type":"root","string":"verinit-root:..."}}
//
// written by hand: the init links no encoding/json.
func AppendLog(b []byte, events []Event) []byte {
	b = append(b, "[\n"...)
	for i, e := range events {
		b = append(b, `  {"recnum":`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `,"pcr":`...)
		b = strconv.AppendInt(b, int64(e.PCR), 10)
		b = append(b, `,"digests":[`...)
		for j, d := range e.Digests {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"hashAlg":`...)
			b = strconv.AppendQuote(b, d.Alg.String())
			b = append(b, `,"digest":"`...)
			b = hex.AppendEncode(b, d.Digest)
			b = append(b, `"}`...)
		}
		b = append(b, `],"content_type":"verinit","content":{"type":`...)
		b = appendJSONString(b, string(e.Type))
		b = append(b, `,"string":`...)
		b = appendJSONString(b, e.Data)
		b = append(b, "}}"...)
		if i < len(events)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	return append(b, "]\n"...)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, other bytes as they are.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
