// Command init is verinit's /init: PID 1 of the initramfs. It mounts the
// API file systems, loads the packed kernel modules, waits for the root
// device named on the kernel command line, mounts it read-only, records
// what it did in /run/verinit/status.json and switches into the real
// init. On any failure it says what went wrong in one line and follows
// verinit.on_failure= (default: reboot after 5 s).
//
// This file only wires the packages together; see docs/architecture.md.
package main

import (
	"os"
	"time"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/halt"
	"github.com/verinit/verinit/pkg/klog"
	"github.com/verinit/verinit/pkg/mountfs"
	"github.com/verinit/verinit/pkg/status"
)

// version is set at build time with -ldflags -X main.version=...
var version = "dev"

func main() {
	start := time.Now()
	// Before anything else, and before any crypto: the command line
	// must not configure the init's own runtime.
	env, cleared := clearRuntimeEnv()
	optional, mountErr := mountfs.Do(mountfs.Early())
	kmsg, _ := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0)
	log := klog.New(kmsg, os.Stdout, "verinit", start)
	b := &boot{log: log, tl: status.NewTimeline(start, time.Now), env: env, kmsg: &kmsgLimit{},
		cfg: config.Config{OnFailure: config.DefaultOnFailure, FailureDelay: config.DefaultFailureDelay}}
	log.OnRateLimit(b.kmsg.lift)
	if tags := feature.Tags(); tags != "" {
		log.Infof("start", "verinit %s (built with -tags %s), PID %d", version, tags, os.Getpid())
	} else {
		log.Infof("start", "verinit %s, PID %d", version, os.Getpid())
	}
	for _, kv := range cleared {
		log.Infof("start", "%q from the kernel command line does not apply to the init (it is passed on to the real init)", kv)
	}
	for _, err := range optional {
		log.Logf(klog.Warn, "mount", "%v", err)
	}
	err := mountErr
	if err == nil {
		err = b.run()
	}
	log.Errorf(b.stage(), "%v", err)
	b.cleanup()
	b.capTPM()
	halt.Do(b.cfg.OnFailure, b.cfg.FailureDelay, func(format string, args ...any) {
		log.Errorf("failure", format, args...)
	})
}
