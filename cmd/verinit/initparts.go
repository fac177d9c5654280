package main

import (
	"fmt"
	"strings"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/config"
)

// partNames are the names of the parts b leaves out.
func partNames(b feature.Build) []string {
	var names []string
	for _, p := range b.Dropped() {
		names = append(names, p.Name)
	}
	return names
}

// droppedText says which parts an init was built without: "" for none,
// else " (built without LVM, TPM: -tags verinit_nolvm,verinit_notpm)".
func droppedText(b feature.Build) string {
	if b == feature.Full() {
		return ""
	}
	return " (built without " + strings.Join(partNames(b), ", ") + ": -tags " + strings.Join(b.DroppedTags(), ",") + ")"
}

// checkInitParts refuses what the init at path, which carries b, cannot
// use: a policy that needs a part it lacks would refuse every boot, and
// certificates would be packed for nothing.
func checkInitParts(path string, b feature.Build, p config.Policy, certs int) error {
	switch {
	case p.TPM == config.Required && !b.TPM:
		return fmt.Errorf("--policy tpm=required: the init %s was built without TPM support (-tags verinit_notpm): it would refuse every boot", path)
	case (p.Signature == config.Required || p.MinVersion > 0) && !b.Sig: // min-version= implies a signature
		return fmt.Errorf("--policy: it requires a signed root hash, but the init %s was built without signature support (-tags verinit_nosig): it would refuse every boot", path)
	case certs > 0 && !b.Sig:
		return fmt.Errorf("--cert: the init %s was built without signature support (-tags verinit_nosig): it checks no signature against a certificate", path)
	}
	return nil
}
