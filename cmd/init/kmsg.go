package main

import (
	"os"
	"sync"
)

const devkmsg = "/proc/sys/kernel/printk_devkmsg"

// kmsgLimit lifts the kernel's rate limit on /dev/kmsg writers (a burst
// of 10 lines per 5 s) once the logger is about to exceed it, and puts
// the setting back before the switch. The logger calls lift from
// whichever goroutine logs.
type kmsgLimit struct {
	mu  sync.Mutex
	old []byte // the setting before; nil while not lifted
}

func (k *kmsgLimit) lift() {
	k.mu.Lock()
	defer k.mu.Unlock()
	old, err := os.ReadFile(devkmsg)
	// The newline is required: the kernel refuses "on" without one.
	if err == nil && len(old) > 0 && os.WriteFile(devkmsg, []byte("on\n"), 0) == nil {
		k.old = old
	}
}

func (k *kmsgLimit) restore() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.old != nil {
		os.WriteFile(devkmsg, k.old, 0)
		k.old = nil
	}
}
