package tpm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-tpm/tpm2"
	"github.com/verinit/verinit/internal/tpmtest"
)

// recorder is a go-tpm transport that keeps the command it was sent and
// answers with an empty success (which go-tpm may fail to decode: only
// the command is looked at).
type recorder struct{ cmd []byte }

func (r *recorder) Send(cmd []byte) ([]byte, error) {
	r.cmd = cmd
	return nil, errors.New("recorded")
}

// TestCommandsMatchGoTPM: each command is byte for byte what go-tpm, the
// oracle, sends for the same request.
func TestCommandsMatchGoTPM(t *testing.T) {
	d1 := bytes.Repeat([]byte{0x11}, 20)
	d256 := bytes.Repeat([]byte{0x22}, 32)
	d384 := bytes.Repeat([]byte{0x33}, 48)
	var r recorder
	_, _ = tpm2.PCRExtend{
		PCRHandle: tpm2.AuthHandle{Handle: tpm2.TPMHandle(15), Auth: tpm2.PasswordAuth(nil)},
		Digests: tpm2.TPMLDigestValues{Digests: []tpm2.TPMTHA{
			{HashAlg: tpm2.TPMAlgSHA1, Digest: d1}, {HashAlg: tpm2.TPMAlgSHA256, Digest: d256}, {HashAlg: tpm2.TPMAlgSHA384, Digest: d384}}},
	}.Execute(&r)
	if got := ExtendCommand(15, []Digest{{SHA1, d1}, {SHA256, d256}, {SHA384, d384}}); !bytes.Equal(got, r.cmd) {
		t.Errorf("ExtendCommand:\n%x\ngo-tpm:\n%x", got, r.cmd)
	}
	_, _ = tpm2.PCRRead{PCRSelectionIn: tpm2.TPMLPCRSelection{PCRSelections: []tpm2.TPMSPCRSelection{
		{Hash: tpm2.TPMAlgSHA1, PCRSelect: tpm2.PCClientCompatible.PCRs(9)},
		{Hash: tpm2.TPMAlgSHA256, PCRSelect: tpm2.PCClientCompatible.PCRs(9)}}}}.Execute(&r)
	if got := ReadCommand(9, []Alg{SHA1, SHA256}); !bytes.Equal(got, r.cmd) {
		t.Errorf("ReadCommand:\n%x\ngo-tpm:\n%x", got, r.cmd)
	}
	_, _ = tpm2.GetCapability{Capability: tpm2.TPMCapPCRs, Property: 0, PropertyCount: 1}.Execute(&r)
	if got := GetPCRsCommand(); !bytes.Equal(got, r.cmd) {
		t.Errorf("GetPCRsCommand:\n%x\ngo-tpm:\n%x", got, r.cmd)
	}
}

var measured = Measured{
	Policy:   "verity=required signature=required",
	RootHash: "AB" + strings.Repeat("cd", 31),
	UsrHash:  strings.Repeat("12", 32),
	Signer:   strings.Repeat("9f", 32),
	Slot:     "rauc.slot=B",
}

func TestEvents(t *testing.T) {
	events := measured.Events(15, []Alg{SHA256})
	var got []string
	for _, e := range events {
		got = append(got, string(e.Type)+" "+e.Data)
		sum := sha256.Sum256([]byte(e.Data))
		if e.PCR != 15 || len(e.Digests) != 1 || !bytes.Equal(e.Digests[0].Digest, sum[:]) {
			t.Errorf("event %s: pcr %d, digests %v", e.Type, e.PCR, e.Digests)
		}
	}
	want := []string{
		"policy verinit-policy:verity=required signature=required",
		"root verinit-root:ab" + strings.Repeat("cd", 31),
		"usr verinit-usr:" + strings.Repeat("12", 32),
		"signer verinit-signer:" + strings.Repeat("9f", 32),
		"slot verinit-slot:rauc.slot=B",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// An unverified root, no slot, and a value that is not printable ASCII.
	events = Measured{Policy: "verity=optional signature=optional", Root: "unverified", Slot: "verinit.slot=\xffA\n"}.Events(15, []Alg{SHA1})
	if len(events) != 3 || events[1].Data != "verinit-root:unverified" || events[2].Data != `verinit-slot:"verinit.slot=\xffA\n"` {
		t.Errorf("events: %+v", events)
	}
}

// TestMeasureSwtpm measures into swtpm, a TPM 2.0 simulator: the PCR read
// back, by Measure and by go-tpm, equals the replay of the events in each
// bank; a second boot's events (slot A) give another value.
func TestMeasureSwtpm(t *testing.T) {
	tpm := tpmtest.Start(t)
	res, err := Measure(tpm, 15, measured)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Banks) == 0 || len(res.Values) != len(res.Banks) || len(res.Events) != 5 {
		t.Fatalf("result %+v", res)
	}
	for i, a := range res.Banks {
		want := Replay(nil, a, res.Events)
		if !bytes.Equal(res.Values[i].Digest, want) {
			t.Errorf("%s: PCR 15 read %x, replay %x", a, res.Values[i].Digest, want)
		}
		got, err := tpm2.PCRRead{PCRSelectionIn: tpm2.TPMLPCRSelection{PCRSelections: []tpm2.TPMSPCRSelection{
			{Hash: tpm2.TPMAlgID(a), PCRSelect: tpm2.PCClientCompatible.PCRs(15)}}}}.Execute(tpm)
		if err != nil {
			t.Fatalf("go-tpm PCRRead: %v", err)
		}
		if len(got.PCRValues.Digests) != 1 || !bytes.Equal(got.PCRValues.Digests[0].Buffer, want) {
			t.Errorf("%s: go-tpm reads %x, replay %x", a, got.PCRValues.Digests, want)
		}
	}
	t.Logf("banks %v", res.Banks)
	other := measured
	other.Slot = "rauc.slot=A"
	for i, a := range res.Banks {
		if bytes.Equal(Replay(nil, a, other.Events(15, res.Banks)), res.Values[i].Digest) {
			t.Errorf("%s: slot A replays to slot B's value", a)
		}
	}
	// A failed boot caps the PCR: it leaves the measured value for good.
	capEvent, err := Cap(tpm, 15, "switch")
	if err != nil {
		t.Fatal(err)
	}
	if capEvent.Data != "verinit-failure:switch" {
		t.Errorf("cap event %q", capEvent.Data)
	}
	after, err := Measure(tpm, 15, Measured{})
	if err != nil {
		t.Fatal(err)
	}
	all := append(append(slices.Clone(res.Events), capEvent), after.Events...)
	for i, a := range after.Banks {
		if want := Replay(nil, a, all); !bytes.Equal(after.Values[i].Digest, want) {
			t.Errorf("%s after the cap: %x, replay %x", a, after.Values[i].Digest, want)
		}
	}
	// A resettable or impossible PCR is refused before anything is sent.
	if _, err := Measure(tpm, 24, measured); err == nil || err.Error() != "tpm: PCR 24: want 0 to 23" {
		t.Errorf("PCR 24: %v", err)
	}
}

func TestAppendLog(t *testing.T) {
	events := Measured{Policy: `verity="required"\`, Root: "tmpfs", UsrHash: "ab", Slot: "verinit.slot=\x01"}.Events(15, []Alg{SHA1, SHA256})
	b := AppendLog(nil, events)
	var log []struct {
		Recnum  int `json:"recnum"`
		PCR     int `json:"pcr"`
		Digests []struct {
			HashAlg string `json:"hashAlg"`
			Digest  string `json:"digest"`
		} `json:"digests"`
		ContentType string `json:"content_type"`
		Content     struct {
			Type   string `json:"type"`
			String string `json:"string"`
		} `json:"content"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(log) != len(events) {
		t.Fatalf("%d records for %d events", len(log), len(events))
	}
	for i, r := range log {
		e := events[i]
		if r.Recnum != i+1 || r.PCR != 15 || r.ContentType != "verinit" || r.Content.Type != string(e.Type) || r.Content.String != e.Data || len(r.Digests) != 2 {
			t.Errorf("record %d: %+v, event %+v", i, r, e)
			continue
		}
		for j, d := range r.Digests {
			if d.HashAlg != e.Digests[j].Alg.String() || d.Digest != hex.EncodeToString(e.Digests[j].Digest) {
				t.Errorf("record %d digest %d: %+v", i, j, d)
			}
		}
	}
}

// TestParseResponses: malformed and refusing responses are one-line
// errors that say what is wrong.
func TestParseResponses(t *testing.T) {
	hdr := func(tag uint16, size uint32, rc uint32, rest ...byte) []byte {
		b := []byte{byte(tag >> 8), byte(tag), byte(size >> 24), byte(size >> 16), byte(size >> 8), byte(size), byte(rc >> 24), byte(rc >> 16), byte(rc >> 8), byte(rc)}
		return append(b, rest...)
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"short", ParseExtend([]byte{0x80, 0x02}), "tpm: TPM2_PCR_Extend: response of 2 bytes, shorter than its header"},
		{"size", ParseExtend(hdr(0x8002, 11, 0)), "tpm: TPM2_PCR_Extend: response says 11 bytes, 10 came"},
		{"rc", ParseExtend(hdr(0x8002, 10, 0x907)), "tpm: TPM2_PCR_Extend: response code 0x907 (TPM_RC_LOCALITY: the PCR cannot be extended from this locality)"},
		{"format one", ParseExtend(hdr(0x8002, 10, 0x1c4)), "tpm: TPM2_PCR_Extend: response code 0x1c4 (format-one error 0x04 at parameter 1)"},
		{"TPM 1.2", ParseExtend(hdr(0x00c4, 10, 0)), "tpm: TPM2_PCR_Extend: response tag 0x00c4, want 0x8002 (a TPM 1.2 answers 0x00c4)"},
		{"truncated capability", func() error { _, err := ParseGetPCRs(hdr(0x8001, 15, 0, 0, 0, 0, 0, 5)); return err }(),
			"tpm: TPM2_GetCapability: response ends in TPML_PCR_SELECTION count at byte 15"},
		{"too many banks", func() error { _, err := ParseGetPCRs(hdr(0x8001, 19, 0, 0, 0, 0, 0, 5, 0, 0, 1, 0)); return err }(),
			"tpm: TPM2_GetCapability: 256 PCR banks, more than 16"},
		{"missing bank", func() error {
			_, err := ParseRead(hdr(0x8001, 22, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), 15, []Alg{SHA256})
			return err
		}(), "tpm: TPM2_PCR_Read: no value for PCR 15 in bank sha256"},
	} {
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("%s: %v\nwant %s", tc.name, tc.err, tc.want)
		}
	}
}

// FuzzParse: no response makes a decoder panic, and each error is one line.
func FuzzParse(f *testing.F) {
	f.Add([]byte{0x80, 0x01, 0, 0, 0, 0x1b, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0x0b, 3, 0xff, 0xff, 0xff})
	f.Add([]byte{0x80, 0x02, 0, 0, 0, 0x0a, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(err error) {
			if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error text %q: want one line", err)
			}
		}
		_, err := ParseGetPCRs(b)
		check(err)
		check(ParseExtend(b))
		v, err := ParseRead(b, 15, []Alg{SHA1, SHA256})
		check(err)
		if err == nil && (len(v) != 2 || len(v[0].Digest) != 20 || len(v[1].Digest) != 32) {
			t.Fatalf("ParseRead = %v without error", v)
		}
	})
}
