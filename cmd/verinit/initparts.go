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

// checkInitParts refuses a policy that needs a part the init at path was
// built without: every boot would be refused at the device.
func checkInitParts(path string, p config.Policy) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--init: %w", err)
	}
	defer f.Close()
	if p.TPM == config.Required && without(initramfs.InitDropped(f), "TPM") {
		return fmt.Errorf("--policy tpm=required: the init %s was built without TPM support (-tags verinit_notpm): it would refuse every boot", path)
	}
	return nil
}
