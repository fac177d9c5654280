package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/klog"
	"github.com/verinit/verinit/pkg/status"
	"github.com/verinit/verinit/pkg/tpm"
)

// tpmTimeout bounds each TPM command: a TPM that does not answer must not
// hold the boot.
const tpmTimeout = 5 * time.Second

// tpmLog is the event log a verifier replays the PCR from.
const tpmLog = status.Dir + "/tpm-events.json"

// measure extends the TPM's PCR with what this boot verified: the policy,
// the root hash (and /usr's), the signers and the slot (pkg/tpm), writes
// the event log and records what it did. It runs once every check has
// passed, so a TPM error can only stop a boot, never let one through.
// Without a TPM, or when it fails, the boot goes on unmeasured, saying so,
// unless the policy requires a TPM.
func (b *boot) measure() error {
	b.tl.Begin("measure")
	rec := &status.TPM{PCR: b.cfg.TPMPCR}
	b.st.TPM = rec
	required := b.cfg.Policy.TPM == config.Required
	if !feature.TPM { // pkg/tpm is not linked
		if required {
			return fmt.Errorf("tpm: %w: the policy requires a TPM to measure the boot into", feature.ErrNoTPM)
		}
		rec.State = "not built"
		b.done("this init was built without TPM support: the boot is not measured")
		return nil
	}
	res, err := b.extend(rec)
	switch {
	case err == nil:
		rec.State = "measured"
		var values []string
		for _, v := range rec.Values {
			values = append(values, v.Bank+" "+v.Hex)
		}
		b.done("extended PCR %d on %s with %d events (%s); now %s", res.PCR, rec.Device, len(res.Events), eventTypes(res.Events), strings.Join(values, ", "))
	case required:
		return fmt.Errorf("%w: the policy requires a TPM to measure the boot into", err)
	case errors.Is(err, tpm.ErrNoTPM):
		rec.State = "absent"
		b.done("no TPM: the boot is not measured")
	default:
		rec.State, rec.Error = "failed", err.Error()
		b.log.Logf(klog.Warn, b.stage(), "%v", err)
		b.done("the boot is not measured (the TPM failed)")
	}
	return nil
}

// extend does the measuring for measure.
func (b *boot) extend(rec *status.TPM) (*tpm.Result, error) {
	dev, err := tpm.Open("/dev", "/sys", tpmTimeout)
	if err != nil {
		return nil, err
	}
	defer dev.Close()
	rec.Device = dev.Path
	res, err := tpm.Measure(dev, b.cfg.TPMPCR, b.measured())
	if err != nil {
		return nil, err
	}
	for _, a := range res.Banks {
		rec.Banks = append(rec.Banks, a.String())
	}
	for _, a := range res.Skipped {
		rec.Skipped = append(rec.Skipped, a.String())
	}
	for _, v := range res.Values {
		rec.Values = append(rec.Values, status.Digest{Bank: v.Alg.String(), Hex: hex.EncodeToString(v.Digest)})
	}
	rec.Events = len(res.Events)
	if err := os.MkdirAll(filepath.Dir(tpmLog), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(tpmLog, tpm.AppendLog(nil, res.Events), 0o644); err != nil {
		return nil, err
	}
	return res, nil
}

// capTPM extends the PCR with a failure event when a boot fails, measured
// or not: whatever runs next (a shell the policy allows) can then never
// bring the PCR to a measured boot's value, whose events are public, nor
// unseal what is sealed to it. Best effort, bounded like every command.
func (b *boot) capTPM() {
	if !feature.TPM {
		return
	}
	dev, err := tpm.Open("/dev", "/sys", tpmTimeout)
	if errors.Is(err, tpm.ErrNoTPM) {
		return
	}
	if err != nil {
		b.log.Logf(klog.Warn, "failure", "%v", err)
		return
	}
	defer dev.Close()
	pcr := b.cfg.TPMPCR
	if pcr == 0 { // the configuration was not read
		pcr = config.DefaultTPMPCR
	}
	if _, err := tpm.Cap(dev, pcr, b.stage()); err != nil {
		b.log.Logf(klog.Warn, "failure", "%v", err)
		return
	}
	b.log.Infof("failure", "extended PCR %d with a failure event: nothing in this boot can bring it to a measured boot's value", pcr)
}

// measured is what this boot measures, from its status record.
func (b *boot) measured() tpm.Measured {
	m := tpm.Measured{Policy: b.cfg.Policy.String()}
	switch {
	case b.st.Verity != nil:
		m.RootHash = b.st.Verity.RootHash
	case b.cfg.TmpfsRoot:
		m.Root = "tmpfs"
	default:
		m.Root = "unverified"
	}
	if s := b.st.Signature; s != nil {
		m.Signer = s.Fingerprint
	}
	if u := b.st.Usr; u != nil {
		if u.Verity != nil {
			m.UsrHash = u.Verity.RootHash
		} else {
			m.Usr = "unverified"
		}
		if u.Signature != nil {
			m.UsrSigner = u.Signature.Fingerprint
		}
	}
	m.Slot = config.SlotText(b.cfg.Slot)
	return m
}

// eventTypes names the events: "policy root signer slot".
func eventTypes(events []tpm.Event) string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e.Type)
	}
	return strings.Join(names, " ")
}
