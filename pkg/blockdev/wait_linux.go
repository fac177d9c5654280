package blockdev

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Watcher receives the kernel's block device uevents.
type Watcher struct {
	sock int
	// modalias and rescan, if set, get the modalias of each device
	// added and a call when uevents were lost (see OnModalias).
	modalias func(string)
	rescan   func()
	// busy, if set, says what is still running that may add devices
	// (see OnBusy).
	busy func() <-chan struct{}
}

// NewWatcher subscribes to kernel uevents. Open it before loading the
// storage drivers so that no announcement is missed.
func NewWatcher() (*Watcher, error) {
	sock, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, fmt.Errorf("blockdev: uevent socket: %w", err)
	}
	// A large receive buffer: a burst of events at driver load must
	// not overflow it (an overflow is noticed and answered by a rescan).
	_ = unix.SetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
	addr := &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1, Pid: 0}
	if err := unix.Bind(sock, addr); err != nil {
		unix.Close(sock)
		return nil, fmt.Errorf("blockdev: bind uevent socket: %w", err)
	}
	return &Watcher{sock: sock}, nil
}

// Close releases the socket.
func (w *Watcher) Close() error { return unix.Close(w.sock) }

// Check looks at the current devices; events are the block uevents that
// led to this look (none for the first). It returns done once it found
// what it waits for, or an error that ends the wait early.
type Check func(devs []Device, events []Event) (done bool, err error)

// Wait calls check with the devices in sysBlock now and again after
// every block device event, until check is done, fails, or ctx ends.
// On a timeout the error wraps context.DeadlineExceeded.
func (w *Watcher) Wait(ctx context.Context, sysBlock string, check Check) error {
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return fmt.Errorf("blockdev: eventfd: %w", err)
	}
	defer unix.Close(wake)
	stop := context.AfterFunc(ctx, func() {
		var one = [8]byte{1}
		unix.Write(wake, one[:])
	})
	defer stop()

	buf := make([]byte, 64<<10)
	var events []Event
	for {
		devs, err := Scan(sysBlock)
		if err != nil {
			return err
		}
		done, err := check(devs, events)
		var unsettled *ifSettled
		if errors.As(err, &unsettled) {
			// True only if nothing more appears: look again once the
			// drivers are quiet and no uevent is queued.
			if events, err = w.settle(ctx, buf); err != nil {
				return err
			}
			if len(events) == 0 {
				return unsettled.err
			}
			continue
		}
		if err != nil {
			return err
		}
		if done {
			// Done counts only once nothing more can appear now: a
			// driver still probing may be adding a clone of the disk
			// just found, and an ambiguity must not go unseen.
			if events, err = w.settle(ctx, buf); err != nil || len(events) == 0 {
				return err
			}
			continue
		}
		if events, err = w.next(ctx, wake, buf); err != nil {
			return err
		}
	}
}

// OnBusy makes Wait accept a done check only when busy returns nil (for
// example no driver load running) and no uevent is queued; otherwise busy
// returns a channel closed once what was running has ended, and Wait
// looks again. Set it before Wait.
func (w *Watcher) OnBusy(busy func() <-chan struct{}) { w.busy = busy }

// settle drains the uevent queue and waits for w.busy until both are
// quiet; it returns the block events seen meanwhile (none: settled).
func (w *Watcher) settle(ctx context.Context, buf []byte) ([]Event, error) {
	var seen []Event
	for {
		evs, err := w.drain(buf)
		if err != nil {
			return nil, err
		}
		seen = append(seen, evs...)
		var running <-chan struct{}
		if w.busy != nil {
			running = w.busy()
		}
		if running == nil {
			return seen, nil
		}
		select {
		case <-running:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// next blocks until at least one block event arrived (then drains the
// queue and returns them; lost events are one Event with Action
// LostEvents) or ctx ends.
func (w *Watcher) next(ctx context.Context, wake int, buf []byte) ([]Event, error) {
	for {
		fds := []unix.PollFd{{Fd: int32(w.sock), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return nil, fmt.Errorf("blockdev: poll: %w", err)
		}
		if fds[1].Revents != 0 || ctx.Err() != nil {
			return nil, ctx.Err()
		}
		seen, err := w.drain(buf)
		if err != nil || len(seen) > 0 {
			return seen, err
		}
	}
}

// drain reads every queued uevent without blocking, passes on the
// modaliases, and returns the block events (lost events are one Event
// with Action LostEvents).
func (w *Watcher) drain(buf []byte) ([]Event, error) {
	var seen []Event
	for {
		n, _, err := unix.Recvfrom(w.sock, buf, 0)
		if errors.Is(err, unix.EAGAIN) {
			return seen, nil
		}
		if errors.Is(err, unix.ENOBUFS) {
			seen = append(seen, Event{Action: LostEvents}) // rescan
			if w.rescan != nil {
				w.rescan()
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("blockdev: read uevent: %w", os.NewSyscallError("recvfrom", err))
		}
		if a, ok := UeventModalias(buf[:n]); ok && w.modalias != nil {
			w.modalias(a)
		}
		if ev, ok := ParseUevent(buf[:n]); ok {
			seen = append(seen, ev)
		}
	}
}
