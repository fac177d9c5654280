package vmtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// lineWriter collects QEMU's output and hands each complete line to
// line, until line returns true (it has seen what it waited for).
type lineWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	part string // the unfinished last line
	line func(string) bool
	done bool
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.done || w.line == nil {
		return len(p), nil
	}
	w.part += string(p)
	for {
		i := strings.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(w.part[:i], "\r")
		w.part = w.part[i+1:]
		if w.line(line) {
			w.done = true
			break
		}
	}
	return len(p), nil
}

// matched reports whether line returned true.
func (w *lineWriter) matched() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// blkdebugConfig is QEMU's blkdebug rule file (docs/devel/blkdebug.txt):
// each guest read (the read_aio event raw sends to its file node) that
// covers one of the sectors fails, every time.
func blkdebugConfig(faults []Fault) string {
	var b strings.Builder
	for _, f := range faults {
		errno := f.Errno
		if errno == 0 {
			errno = 5
		}
		fmt.Fprintf(&b, "[inject-error]\nevent = \"read_aio\"\nsector = \"%d\"\nerrno = \"%d\"\nonce = \"off\"\n\n", f.Sector, errno)
	}
	return b.String()
}

// qmpHotAdd plugs path in as a new virtio disk through QEMU's QMP
// socket: blockdev-add, then device_add (PCI hotplug through ACPI).
func qmpHotAdd(sock, path string) error {
	c, err := net.DialTimeout("unix", sock, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	if _, err := r.ReadBytes('\n'); err != nil { // the greeting
		return fmt.Errorf("qmp greeting: %w", err)
	}
	for _, cmd := range []map[string]any{
		{"execute": "qmp_capabilities"},
		{"execute": "blockdev-add", "arguments": map[string]any{"node-name": "hot", "driver": "raw",
			"file": map[string]any{"driver": "file", "filename": path}}},
		{"execute": "device_add", "arguments": map[string]any{"driver": "virtio-blk-pci", "drive": "hot", "id": "hotdisk"}},
	} {
		b, _ := json.Marshal(cmd)
		if _, err := c.Write(append(b, '\n')); err != nil {
			return err
		}
		for { // skip events until the command's answer
			line, err := r.ReadBytes('\n')
			if err != nil {
				return fmt.Errorf("qmp %s: %w", cmd["execute"], err)
			}
			var resp struct {
				Return json.RawMessage `json:"return"`
				Error  *struct {
					Desc string `json:"desc"`
				} `json:"error"`
			}
			if err := json.Unmarshal(line, &resp); err != nil {
				return fmt.Errorf("qmp %s: %w: %s", cmd["execute"], err, line)
			}
			if resp.Error != nil {
				return fmt.Errorf("qmp %s: %s", cmd["execute"], resp.Error.Desc)
			}
			if resp.Return != nil {
				break
			}
		}
	}
	return nil
}
