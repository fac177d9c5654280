package feature

import (
	"strings"
	"testing"
)

// TestTags: the tags named are those of the parts this build dropped.
func TestTags(t *testing.T) {
	tags := Tags()
	for _, p := range []struct {
		built bool
		tag   string
	}{{LVM, "verinit_nolvm"}, {TPM, "verinit_notpm"}} {
		if named := strings.Contains(tags, p.tag); named == p.built {
			t.Errorf("Tags() = %q: %s named %v, part built %v", tags, p.tag, named, p.built)
		}
	}
}
