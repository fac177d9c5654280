package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/verinit/verinit/pkg/lvm"
)

func runLVM(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "dump" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			fmt.Fprint(stdout, lvmUsage)
			return nil
		}
		fmt.Fprint(stderr, lvmUsage)
		return errUsage
	}
	fs := newFlags("lvm dump", "DEV...", stderr)
	devs, err := parseMixed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(devs) == 0 {
		fs.Usage()
		return errUsage
	}
	type pvOut struct {
		Device string  `json:"device"`
		PV     *lvm.PV `json:"pv,omitempty"`
		Error  string  `json:"error,omitempty"`
	}
	out := struct {
		PVs      []pvOut   `json:"pvs"`
		VGs      []*lvm.VG `json:"volume_groups"`
		LVMError string    `json:"error,omitempty"`
	}{}
	var pvs []*lvm.PV
	for _, d := range devs {
		f, err := os.Open(d)
		if err != nil {
			return err
		}
		size, err := f.Seek(0, io.SeekEnd)
		if err == nil {
			var pv *lvm.PV
			pv, err = lvm.ScanPV(f, size)
			if pv != nil {
				pvs = append(pvs, pv)
			}
			o := pvOut{Device: d, PV: pv}
			if err != nil {
				o.Error = err.Error()
			}
			out.PVs = append(out.PVs, o)
		}
		f.Close()
		if err != nil && !errors.Is(err, lvm.ErrNotPV) && out.PVs == nil {
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	vgs, err := lvm.Assemble(pvs)
	out.VGs = vgs
	if err != nil {
		out.LVMError = err.Error()
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

const lvmUsage = `Usage:
  verinit lvm dump DEV...   print the LVM2 metadata on the devices (or images) as JSON:
                            each PV's label, areas and metadata, and the volume groups
                            assembled from them, as the init reads them (no lvm2 needed)
`
