package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/initramfs"

	"github.com/verinit/verinit/internal/feature"
)

// without is true when parts holds the part named name.
func without(parts []feature.Part, name string) bool {
	for _, p := range parts {
		if p.Name == name {
			return true
		}
	}
	return false
}

// partNames are the parts' names.
func partNames(parts []feature.Part) []string {
	var names []string
	for _, p := range parts {
		names = append(names, p.Name)
	}
	return names
}

// droppedText says which parts an init was built without: "" for none,
// else " (built without LVM, TPM: -tags verinit_nolvm,verinit_notpm)".
func droppedText(parts []feature.Part) string {
	if len(parts) == 0 {
		return ""
	}
	var tags []string
	for _, p := range parts {
		tags = append(tags, p.Tag)
	}
	return " (built without " + strings.Join(partNames(parts), ", ") + ": -tags " + strings.Join(tags, ",") + ")"
}

// checkInitParts refuses what the init at path cannot use because it was
// built without the part: a policy that needs it would refuse every boot,
// and certificates would be packed for nothing.
func checkInitParts(path string, p config.Policy, certs int) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--init: %w", err)
	}
	defer f.Close()
	dropped := initramfs.InitDropped(f)
	switch {
	case p.TPM == config.Required && without(dropped, "TPM"):
		return fmt.Errorf("--policy tpm=required: the init %s was built without TPM support (-tags verinit_notpm): it would refuse every boot", path)
	case (p.Signature == config.Required || p.MinVersion > 0) && without(dropped, "signatures"): // min-version= implies a signature
		return fmt.Errorf("--policy: it requires a signed root hash, but the init %s was built without signature support (-tags verinit_nosig): it would refuse every boot", path)
	case certs > 0 && without(dropped, "signatures"):
		return fmt.Errorf("--cert: the init %s was built without signature support (-tags verinit_nosig): it checks no signature against a certificate", path)
	}
	return nil
}
