package feature

import (
	"reflect"
	"strings"
	"testing"
)

// TestTags: the tags named are those of the parts this build dropped.
func TestTags(t *testing.T) {
	tags := Tags()
	for _, p := range Parts() {
		if named := strings.Contains(tags, p.Tag); named == p.Built {
			t.Errorf("Tags() = %q: %s named %v, part built %v", tags, p.Tag, named, p.Built)
		}
	}
}

// TestDropped: the parts a build's tags drop, whatever else it is built
// with.
func TestDropped(t *testing.T) {
	for _, tc := range []struct {
		tags []string
		want []string
	}{
		{nil, nil},
		{[]string{"netgo", "verinit_notpm"}, []string{"TPM"}},
		{[]string{"verinit_notpm", "verinit_nolvm"}, []string{"LVM", "TPM"}},
		{[]string{"verinit_no"}, nil},
		{[]string{"verinit_nosig"}, []string{"signatures"}},
	} {
		var got []string
		for _, p := range Dropped(tc.tags) {
			if p.Built {
				t.Errorf("Dropped(%q): %s marked built", tc.tags, p.Name)
			}
			got = append(got, p.Name)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Dropped(%q) = %v, want %v", tc.tags, got, tc.want)
		}
	}
}
