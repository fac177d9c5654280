// Package tpmtest runs swtpm, a software TPM 2.0, for the tests: commands
// go over its socket as over /dev/tpm0.
package tpmtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TPM is a running swtpm and a connection to it.
type TPM struct {
	conn net.Conn
}

// Start starts swtpm with a fresh state in a temporary directory, started
// up (TPM2_Startup(CLEAR)) and ready; the test's cleanup stops it.
// swtpm is a prerequisite (scripts/prereqs.sh): without it the test fails.
func Start(t testing.TB) *TPM {
	t.Helper()
	if _, err := exec.LookPath("swtpm"); err != nil {
		t.Fatal("swtpm is needed (Debian package swtpm): run scripts/prereqs.sh")
	}
	dir := t.TempDir()
	// swtpm accepts on a socket that listens before it starts (its fd 3),
	// so the connection made below waits in the backlog: no socket path
	// to wait for. (It does not serve an already connected socket.)
	sock := filepath.Join(dir, "tpm.sock")
	lf, err := Listening(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("swtpm", "socket", "--tpm2", "--tpmstate", "dir="+dir,
		"--server", "type=unixio,fd=3", "--ctrl", "type=unixio,path="+filepath.Join(dir, "ctrl.sock"),
		"--flags", "not-need-init,startup-clear")
	cmd.ExtraFiles = []*os.File{lf}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("swtpm: %s", stderr.Bytes())
		}
	})
	return &TPM{conn: conn}
}

// Transact sends cmd and returns the response (the size its header says).
func (s *TPM) Transact(cmd []byte) ([]byte, error) {
	if _, err := s.conn.Write(cmd); err != nil {
		return nil, err
	}
	head := make([]byte, 10)
	if _, err := io.ReadFull(s.conn, head); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(head[2:])
	if size < 10 || size > 1<<16 {
		return nil, fmt.Errorf("swtpm: response size %d", size)
	}
	rest := make([]byte, size-10)
	if _, err := io.ReadFull(s.conn, rest); err != nil {
		return nil, err
	}
	return append(head, rest...), nil
}

// Send is Transact under go-tpm's transport.TPM interface.
func (s *TPM) Send(cmd []byte) ([]byte, error) { return s.Transact(cmd) }

// Listening returns a Unix socket listening at path, as a file to hand to
// swtpm (its --server or --ctrl type=unixio,fd=N): connections made
// before swtpm runs wait in the backlog, so nothing waits for a socket
// to appear.
func Listening(path string) (*os.File, error) {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	l.SetUnlinkOnClose(false)
	defer l.Close()
	return l.File()
}
