package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/halt"
	"github.com/verinit/verinit/pkg/rootdev"
)

// Defaults.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultFailureDelay = 5 * time.Second
	DefaultOnFailure    = halt.Reboot
	maxSeconds          = 24 * 3600
)

// DefaultInits are tried in order when init= is not given, as the
// kernel does.
var defaultInits = [...]string{"/sbin/init", "/etc/init", "/bin/init", "/bin/sh"}

// Config is what the command line asks of the init.
type Config struct {
	Root         rootdev.Spec
	FSType       string // rootfstype=, "" to detect
	RootFlags    string // rootflags=
	ReadOnly     bool   // ro (the default) or rw
	Inits        []string
	Timeout      time.Duration // 0 waits forever
	OnFailure    halt.Action
	FailureDelay time.Duration
	Debug        bool
}

// Parse reads the Config from c. On error it still returns a Config
// whose OnFailure and FailureDelay are usable (the defaults where the
// value was bad), so that the caller can follow the policy.
func Parse(c *cmdline.Cmdline) (Config, error) {
	cfg := Config{
		ReadOnly:     true,
		Inits:        defaultInits[:],
		Timeout:      DefaultTimeout,
		OnFailure:    DefaultOnFailure,
		FailureDelay: DefaultFailureDelay,
	}
	var errs []error
	if v, ok := c.Lookup("verinit.on_failure"); ok {
		a, err := halt.ParseAction(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("verinit.on_failure=%s: %w", v, err))
		} else {
			cfg.OnFailure = a
		}
	}
	if v, ok := c.Lookup("verinit.failure_delay"); ok {
		d, err := seconds(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("verinit.failure_delay=%s: %w", v, err))
		} else {
			cfg.FailureDelay = d
		}
	}
	cfg.Debug = c.Flag("verinit.debug")

	if v, ok := c.Lookup("root"); ok {
		spec, err := rootdev.ParseSpec(v)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.Root = spec
	} else {
		errs = append(errs, rootdev.ErrNoRoot)
	}
	cfg.FSType, _ = c.Lookup("rootfstype")
	cfg.RootFlags, _ = c.Lookup("rootflags")
	// The kernel's rule: the last of ro and rw wins.
	for _, p := range c.Params {
		switch {
		case p.Key == "ro" && !p.HasValue:
			cfg.ReadOnly = true
		case p.Key == "rw" && !p.HasValue:
			cfg.ReadOnly = false
		}
	}
	if v, ok := c.Lookup("init"); ok {
		if !strings.HasPrefix(v, "/") {
			errs = append(errs, fmt.Errorf("init=%s: not an absolute path", v))
		} else {
			cfg.Inits = []string{v}
		}
	}

	// The wait bound: verinit.timeout= first, then rootwait=N, then
	// rootdelay=N (a bound here, not a sleep). A bare rootwait keeps
	// the default bound: waiting forever would keep a bootloader from
	// falling back to the other slot.
	for _, key := range []string{"verinit.timeout", "rootwait", "rootdelay"} {
		v, ok := c.Lookup(key)
		if !ok || (key == "rootwait" && v == "") {
			continue
		}
		d, err := seconds(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%s: %w", key, v, err))
			break
		}
		cfg.Timeout = d
		break
	}
	return cfg, errors.Join(errs...)
}

func seconds(v string) (time.Duration, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxSeconds {
		return 0, fmt.Errorf("want whole seconds from 0 to %d", maxSeconds)
	}
	return time.Duration(n) * time.Second, nil
}
