package vmtest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// MiB is a mebibyte.
const MiB = 1 << 20

// LinuxData is the GPT type of Linux file system data.
const LinuxData = "0fc63daf-8483-4772-8e79-3d69d8477de4"

// Part is one partition of MakeDisk.
type Part struct {
	UUID, Name, Image string
	Type              string // partition type; default LinuxData
	Attrs             string // sfdisk attrs=, e.g. "GUID:63"
}

// MakeDisk writes the GPT disk NAME.img in h.Dir with sfdisk, copies
// each image into its partition, and adds the disk for Boot.
func (h *Harness) MakeDisk(name string, parts []Part) error {
	path := filepath.Join(h.Dir, name+".img")
	var script strings.Builder
	script.WriteString("label: gpt\nunit: sectors\nfirst-lba: 2048\n")
	total := int64(2 * MiB)
	for _, p := range parts {
		size := int64(MiB)
		if p.Image != "" {
			st, err := os.Stat(p.Image)
			if err != nil {
				return err
			}
			size = (st.Size() + MiB - 1) / MiB * MiB
		}
		total += size
		typ := p.Type
		if typ == "" {
			typ = LinuxData
		}
		fmt.Fprintf(&script, "size=%d, type=%s, uuid=%s, name=%q", size/512, typ, p.UUID, p.Name)
		if p.Attrs != "" {
			fmt.Fprintf(&script, ", attrs=%q", p.Attrs)
		}
		script.WriteString("\n")
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(path, total); err != nil {
		return err
	}
	cmd := exec.Command("sfdisk", "--no-reread", "--no-tell-kernel", "-q", path)
	cmd.Stdin = strings.NewReader(script.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("sfdisk %s: %v\n%s", path, err, out)
	}
	out, err := exec.Command("sfdisk", "--json", path).Output()
	if err != nil {
		return fmt.Errorf("sfdisk --json %s: %v", path, err)
	}
	var table struct {
		PartitionTable struct {
			Partitions []struct{ Start int64 } `json:"partitions"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal(out, &table); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	for i, p := range parts {
		if p.Image == "" {
			continue
		}
		data, err := os.ReadFile(p.Image)
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(data, table.PartitionTable.Partitions[i].Start*512); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	h.AddImage(name, path, false)
	return nil
}

// VeritysetupFormat runs `veritysetup format` and returns the root hash.
func VeritysetupFormat(args ...string) (string, error) {
	out, err := exec.Command("veritysetup", append([]string{"format"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("veritysetup format %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	m := regexp.MustCompile(`(?m)^Root hash:\s+([0-9a-f]+)$`).FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("veritysetup format printed no root hash:\n%s", out)
	}
	return string(m[1]), nil
}
