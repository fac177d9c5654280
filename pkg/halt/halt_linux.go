package halt

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Shell is the shell the "shell" action runs, if the initramfs has one.
const shellPath = "/bin/sh"

// Do waits delay (so a person can read the message on the console),
// then carries out a. It does not return: if the action itself fails it
// exits, which makes the kernel panic ("Attempted to kill init"), and the
// kernel's panic= setting decides what happens next.
func Do(a Action, delay time.Duration, logf func(format string, args ...any)) {
	if a == Shell {
		if _, err := os.Stat(shellPath); err == nil {
			logf("starting %s", shellPath)
			err := unix.Exec(shellPath, []string{shellPath}, os.Environ())
			logf("exec %s: %v; rebooting instead", shellPath, err)
		} else {
			logf("no %s in the initramfs; rebooting instead", shellPath)
		}
		a = Reboot
	}
	if a == Panic {
		logf("exiting PID 1 so that the kernel panics")
		os.Exit(1)
	}
	cmd, verb := unix.LINUX_REBOOT_CMD_RESTART, "rebooting"
	if a == PowerOff {
		cmd, verb = unix.LINUX_REBOOT_CMD_POWER_OFF, "powering off"
	}
	logf("%s in %s", verb, delay)
	time.Sleep(delay) // a pause for the reader, not synchronisation
	err := unix.Reboot(cmd)
	logf("%s: %v; exiting PID 1", verb, err)
	os.Exit(1)
}
