package progress

import (
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal asks the tty driver for the terminal attributes: only a
// terminal has them.
// (SyscallConn, not Fd, which would switch the file to blocking mode.)
func isTerminal(f *os.File) bool {
	c, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var terr error
	if err := c.Control(func(fd uintptr) { _, terr = unix.IoctlGetTermios(int(fd), unix.TCGETS) }); err != nil {
		return false
	}
	return terr == nil
}
