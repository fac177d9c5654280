package feature

import (
	"reflect"
	"strings"
	"testing"
)

// TestTags: the tags named are those of the parts this build dropped.
func TestTags(t *testing.T) {
	tags := Tags()
	for _, p := range This().Parts() {
		if named := strings.Contains(tags, p.Tag); named == p.Built {
			t.Errorf("Tags() = %q: %s named %v, part built %v", tags, p.Tag, named, p.Built)
		}
	}
}

// TestFromTags: the parts a build's tags drop, whatever else it is built
// with; each Part's tag is the one FromTags reads.
func TestFromTags(t *testing.T) {
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
		for _, p := range FromTags(tc.tags).Dropped() {
			got = append(got, p.Name)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("FromTags(%q).Dropped() = %v, want %v", tc.tags, got, tc.want)
		}
	}
	if FromTags(nil) != Full() {
		t.Errorf("FromTags(nil) = %+v, want Full()", FromTags(nil))
	}
	for _, p := range Full().Parts() {
		if d := FromTags([]string{p.Tag}).Dropped(); len(d) != 1 || d[0].Name != p.Name {
			t.Errorf("-tags %s drops %v, want %s", p.Tag, d, p.Name)
		}
	}
	for _, b := range []Build{{}, {LVM: true}, {TPM: true, Sig: true}, Full()} {
		if got := FromTags(b.DroppedTags()); got != b {
			t.Errorf("FromTags(%+v.DroppedTags() = %q) = %+v", b, b.DroppedTags(), got)
		}
	}
}
