package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/verinit/verinit/pkg/lvm"
)

func runLVMDump(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lvm dump", stderr)
	fs.Bool("json", false, "accepted so that every report takes --json: JSON is the only output")
	devs, err := parseMixed(fs, args)
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
