package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/verinit/verinit/pkg/cmdline"
)

// CmdlineKeys is the policy's decision on the words of the command line
// that the init does not decide itself: the kernel's (console=, quiet),
// the real init's (systemd.unit=, systemd.debug_shell), init=, and the
// words after "--". The real init reads /proc/cmdline itself, so that
// init=/bin/sh or systemd.debug_shell would hand the verified system to
// whoever writes the command line. Unless Listed (cmdline-keys= packed)
// they all pass; listed, only the words Words allows do, and any other
// refuses the boot.
type CmdlineKeys struct {
	Listed bool
	// Words are the words allowed: a key alone (HasValue false) allows
	// it with any value or none; key=value allows exactly that word.
	Words []cmdline.Param
}

// maxCmdlineKeys bounds the words cmdline-keys= lists.
const maxCmdlineKeys = 256

// parseCmdlineKeys reads cmdline-keys=: words as the command line has
// them, separated by spaces, without quotes. A key the init decides
// itself is refused: its own rule decides it (init= excepted).
func parseCmdlineKeys(value string) (CmdlineKeys, error) {
	k := CmdlineKeys{Listed: true}
	rs := rules()
	for _, w := range strings.Fields(value) {
		key, v, hasValue := strings.Cut(w, "=")
		switch {
		case key == "" || strings.ContainsAny(w, `"`):
			return k, fmt.Errorf("%q: want KEY or KEY=VALUE, without quotes", w)
		case key == "--":
			return k, fmt.Errorf("%q: the words after -- are listed as any other", w)
		case !k.governs(key, rs):
			return k, fmt.Errorf("%s: the init reads this key itself and decides it by its own rule (docs/security.md)", shown(key))
		}
		k.Words = append(k.Words, cmdline.Param{Key: key, Value: v, HasValue: hasValue})
	}
	if len(k.Words) > maxCmdlineKeys {
		return k, fmt.Errorf("%d words, more than %d", len(k.Words), maxCmdlineKeys)
	}
	return k, nil
}

// String renders the list as a policy value: the words separated by
// spaces.
func (k CmdlineKeys) String() string {
	return strings.Join(k.List(), " ")
}

// List returns the words as the command line writes them: nil unless
// Listed, never nil when Listed.
func (k CmdlineKeys) List() []string {
	if !k.Listed {
		return nil
	}
	words := make([]string, len(k.Words))
	for i, w := range k.Words {
		words[i] = word(w)
	}
	return words
}

// word is w as the command line writes it (quotes, which only a word
// read from the command line can need, left out).
func word(w cmdline.Param) string {
	switch {
	case w.HasValue:
		return w.Key + "=" + w.Value
	case len(w.Key) == 0: // a word of quotes only
		return `""`
	}
	return w.Key
}

// allows reports whether the list lets w through: a word naming its key
// alone, or exactly its key and value.
func (k CmdlineKeys) allows(w cmdline.Param) bool {
	return slices.ContainsFunc(k.Words, func(a cmdline.Param) bool {
		return cmdline.KeyEqual(a.Key, w.Key) && (!a.HasValue || a.HasValue == w.HasValue && a.Value == w.Value)
	})
}

// refusesInit reports whether the list refuses init=path: a refused
// init= must not take effect even where the refusal is not acted on.
func (k CmdlineKeys) refusesInit(path string) bool {
	return k.Listed && !k.allows(cmdline.Param{Key: "init", Value: path, HasValue: true})
}

// governs reports whether the list decides key: every key but those the
// init reads itself and decides by a rule of its own (the keys of rs,
// which is rules(), the dm_verity module's parameters,
// modprobe.blacklist=). init= is the list's: it names the program the
// real system starts with.
func (CmdlineKeys) governs(key string, rs []rule) bool {
	if cmdline.KeyEqual(key, "init") {
		return true
	}
	if mod, _, ok := strings.Cut(key, "."); ok && cmdline.KeyEqual(mod, "dm_verity") || cmdline.KeyEqual(key, "modprobe.blacklist") {
		return false
	}
	return !slices.ContainsFunc(rs, func(r rule) bool { return cmdline.KeyEqual(r.key, key) })
}

// cmdlineKeysReason says why cmdline-keys= refuses a word.
const cmdlineKeysReason = "the real init reads the command line too; only the words the initramfs lists in cmdline-keys= may reach it"

// checkPassedOn applies cmdline-keys= to every word of c that the init
// does not decide itself, including the real init's arguments after "--"
// and the words after a second "--": each one it does not list is
// refused.
func (p Policy) checkPassedOn(c *cmdline.Cmdline) []error {
	if !p.CmdlineKeys.Listed {
		return nil
	}
	var errs []error
	rs := rules()
	refuse := func(w cmdline.Param, where string) {
		errs = append(errs, &RefusedError{Key: where + word(w), Policy: p, Reason: cmdlineKeysReason})
	}
	for _, w := range c.Params {
		if p.CmdlineKeys.governs(w.Key, rs) && !p.CmdlineKeys.allows(w) {
			refuse(w, "")
		}
	}
	for _, a := range c.InitArgs {
		key, v, hasValue := strings.Cut(a, "=")
		if w := (cmdline.Param{Key: key, Value: v, HasValue: hasValue}); !p.CmdlineKeys.allows(w) {
			refuse(w, "-- ")
		}
	}
	for _, w := range c.Ignored {
		if !p.CmdlineKeys.allows(w) {
			refuse(w, "-- -- ")
		}
	}
	// systemd splits /proc/cmdline itself, grouping words in single
	// quotes as well as double ones; the kernel knows only double. With
	// a single quote, `console='"' systemd.debug_shell '"'` is one
	// word, console=, to the kernel and to this check, but three to
	// systemd. Without one the two split alike.
	if strings.ContainsRune(c.Raw, '\'') {
		errs = append(errs, &RefusedError{Key: "a single quote (')", Policy: p,
			Reason: "systemd groups words in single quotes, the kernel does not, so the real init would split the command line into words this check never saw"})
	}
	return errs
}
