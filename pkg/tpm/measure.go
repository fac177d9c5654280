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
	res.Events = m.Events(pcr, res.Banks)
	for _, e := range res.Events {
		resp, err := t.Transact(ExtendCommand(pcr, e.Digests))
		if err == nil {
			err = ParseExtend(resp)
		}
		if err != nil {
			return nil, fmt.Errorf("extending PCR %d with the %s event: %w", pcr, e.Type, err)
		}
	}
	if resp, err = t.Transact(ReadCommand(pcr, res.Banks)); err != nil {
		return nil, err
	}
	if res.Values, err = ParseRead(resp, pcr, res.Banks); err != nil {
		return nil, err
	}
	return res, nil
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
