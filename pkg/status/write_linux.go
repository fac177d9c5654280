package status

import (
	"fmt"
	"os"
)

// Write stores s as File, creating Dir. The file appears whole or not
// at all (written to a temporary name, then renamed).
func Write(s *Status) error {
	if err := os.MkdirAll(Dir, 0o755); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	tmp := File + ".tmp"
	if err := os.WriteFile(tmp, s.JSON(), 0o644); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if err := os.Rename(tmp, File); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	return nil
}
