package tpm

import "fmt"

// Transport sends one command to a TPM and returns its response.
type Transport interface {
	Transact(cmd []byte) ([]byte, error)
}

// Result is what Measure did.
type Result struct {
	PCR     int
	Banks   []Alg // the banks extended: those holding the PCR whose hash verinit computes
	Skipped []Alg // banks holding the PCR whose hash verinit does not compute (SM3): not extended
	Events  []Event
	Values  []Digest // the PCR read back after the events, per bank
}

// Measure extends pcr in every bank of the TPM that holds it with the
// events of m, in order, and reads the PCR back.
func Measure(t Transport, pcr int, m Measured) (*Result, error) {
	res, err := banksOf(t, pcr)
	if err != nil {
		return nil, err
	}
	res.Events = m.Events(pcr, res.Banks)
	if err := extend(t, pcr, res.Events); err != nil {
		return nil, err
	}
	resp, err := t.Transact(ReadCommand(pcr, res.Banks))
	if err != nil {
		return nil, err
	}
	if res.Values, err = ParseRead(resp, pcr, res.Banks); err != nil {
		return nil, err
	}
	return res, nil
}

// Cap extends pcr with one failure event, whose data names why: after a
// failed boot nothing (a shell the policy allows) can then bring the PCR
// to a measured boot's value, whose events are public, and unseal what is
// sealed to it. It returns the event.
func Cap(t Transport, pcr int, why string) (Event, error) {
	res, err := banksOf(t, pcr)
	if err != nil {
		return Event{}, err
	}
	e := newEvent(pcr, EventFailure, why, res.Banks)
	return e, extend(t, pcr, []Event{e})
}

// banksOf asks the TPM for its banks and sorts them into those holding
// pcr that verinit can extend and those it cannot.
func banksOf(t Transport, pcr int) (*Result, error) {
	if pcr < 0 || pcr > MaxPCR {
		return nil, fmt.Errorf("tpm: PCR %d: want 0 to %d", pcr, MaxPCR)
	}
	resp, err := t.Transact(GetPCRsCommand())
	if err != nil {
		return nil, err
	}
	banks, err := ParseGetPCRs(resp)
	if err != nil {
		return nil, err
	}
	res := &Result{PCR: pcr}
	for _, b := range banks {
		switch {
		case !b.Has(pcr):
		case b.Alg.Hash() == 0:
			res.Skipped = append(res.Skipped, b.Alg)
		default:
			res.Banks = append(res.Banks, b.Alg)
		}
	}
	if len(res.Banks) == 0 {
		return nil, fmt.Errorf("tpm: no PCR bank holds PCR %d in a hash verinit computes (banks: %v)", pcr, banks)
	}
	return res, nil
}

// extend extends pcr with each event's digests, in order.
func extend(t Transport, pcr int, events []Event) error {
	for _, e := range events {
		resp, err := t.Transact(ExtendCommand(pcr, e.Digests))
		if err == nil {
			err = ParseExtend(resp)
		}
		if err != nil {
			return fmt.Errorf("extending PCR %d with the %s event: %w", pcr, e.Type, err)
		}
	}
	return nil
}

// String names a bank list: "sha1 sha256".
func (b Banks) String() string {
	s := ""
	for i, x := range b {
		if i > 0 {
			s += " "
		}
		s += x.Alg.String()
	}
	return s
}
