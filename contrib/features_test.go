package contrib

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/feature"
)

// featureTags are the build tags that drop the init's optional parts.
func featureTags() []string {
	tags := feature.Build{}.DroppedTags()
	slices.Sort(tags)
	return tags
}

// TestOptionalParts: Buildroot's options and Yocto's PACKAGECONFIG each
// drop every optional part of the init with its build tag, and keep all
// of them by default.
func TestOptionalParts(t *testing.T) {
	want := featureTags()

	mk := readFile(t, filepath.Join(brExt, "package", "verinit", "verinit.mk"))
	configIn := readFile(t, filepath.Join(brExt, "package", "verinit", "Config.in"))
	var br []string
	for _, m := range regexp.MustCompile(`ifneq \(\$\((BR2_PACKAGE_VERINIT_[A-Z0-9_]+)\),y\)\nVERINIT_TAGS \+= (\S+)\nendif`).FindAllStringSubmatch(mk, -1) {
		if !strings.Contains(configIn, "\nconfig "+m[1]+"\n\tbool ") || !regexp.MustCompile(`config `+m[1]+`\n\tbool "[^"]+"\n\tdefault y\n`).MatchString(configIn) {
			t.Errorf("Config.in: %s, which drops %s, must be a bool defaulting to y", m[1], m[2])
		}
		br = append(br, m[2])
	}
	slices.Sort(br)
	if !slices.Equal(br, want) {
		t.Errorf("verinit.mk drops %v, want one option for each of %v", br, want)
	}

	recipePath := filepath.Join(layer, "recipes-core", "verinit", "verinit_git.bb")
	r := readBB(t, recipePath)
	defaults := strings.Fields(r.value("PACKAGECONFIG"))
	var yocto []string
	for _, m := range regexp.MustCompile(`\$\{@bb\.utils\.contains\('PACKAGECONFIG', '(\w+)', '', '(\w+),', d\)\}`).FindAllStringSubmatch(r.value("VERINIT_TAGS"), -1) {
		if !slices.Contains(defaults, m[1]) || r.value("PACKAGECONFIG["+m[1]+"]") == "" {
			t.Errorf("%s: PACKAGECONFIG %q, which drops %s, must be declared and on by default (%v)", recipePath, m[1], m[2], defaults)
		}
		yocto = append(yocto, m[2])
	}
	slices.Sort(yocto)
	if !slices.Equal(yocto, want) {
		t.Errorf("%s: VERINIT_TAGS drops %v, want one PACKAGECONFIG for each of %v", recipePath, yocto, want)
	}
	if got := r.all("GOBUILDFLAGS:append:class-target"); !strings.Contains(got, "-tags=${VERINIT_TAGS}") {
		t.Errorf("%s: GOBUILDFLAGS:append:class-target = %q, must pass -tags=${VERINIT_TAGS}", recipePath, got)
	}
}
