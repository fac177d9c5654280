package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/locate/images"
	"github.com/verinit/verinit/pkg/tpm"
)

// tpmBanks are the banks predict computes: every one the init extends
// when the TPM has it.
var tpmBanks = []tpm.Alg{tpm.SHA1, tpm.SHA256, tpm.SHA384, tpm.SHA512}

// predictReport is what tpm predict --json prints.
type predictReport struct {
	PCR    int               `json:"pcr"`
	Values map[string]string `json:"values"` // bank -> hex
	Events []predictEvent    `json:"events"`
}

type predictEvent struct {
	Type    string            `json:"type"`
	String  string            `json:"string"`
	Digests map[string]string `json:"digests"`
}

func runTPMPredict(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tpm predict", stderr)
	line := fs.String("cmdline", "", "the kernel command line the boot loader passes for the slot")
	initrd := fs.String("initramfs", "", "the initramfs `FILE` the slot boots with (required): its policy, veritytab or dm-verity.env and certificates decide, as in the init")
	arch := fs.String("arch", "", "the `architecture` whose DPS root types count (default: the one whose root types the disks hold)")
	loader := fs.String("loader-partuuid", "", "the `PARTUUID` of the partition the boot loader started from (LoaderDevicePartUUID), as inspect takes it")
	asJSON := fs.Bool("json", false, "print JSON")
	paths, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 || *initrd == "" {
		fs.Usage()
		return errUsage
	}
	packed, initBuild, err := readPackedFiles(*initrd)
	if err != nil {
		return fmt.Errorf("--initramfs: %w", err)
	}
	if !initBuild.TPM {
		return fmt.Errorf("--initramfs %s: its init was built without TPM support (-tags verinit_notpm): it measures nothing", *initrd)
	}
	a, loaderGUID, err := parseArchLoader(*arch, *loader)
	if err != nil {
		return err
	}
	im, err := images.Open(paths)
	if err != nil {
		return err
	}
	defer im.Close()
	if a == "" {
		if a, err = diskArch(im, *line); err != nil && !errors.Is(err, errNoRootTypes) {
			return err
		}
	}
	dec, cfg, err := decide(im, *line, a, loaderGUID, packed, initBuild)
	if err != nil {
		return fmt.Errorf("the init would not boot this: %w", err)
	}
	events := measuredOf(dec, cfg).Events(cfg.TPMPCR, tpmBanks)
	rep := predictReport{PCR: cfg.TPMPCR, Values: map[string]string{}}
	for _, b := range tpmBanks {
		rep.Values[b.String()] = hex.EncodeToString(tpm.Replay(nil, b, events))
	}
	for _, e := range events {
		pe := predictEvent{Type: string(e.Type), String: e.Data, Digests: map[string]string{}}
		for _, d := range e.Digests {
			pe.Digests[d.Alg.String()] = hex.EncodeToString(d.Digest)
		}
		rep.Events = append(rep.Events, pe)
	}
	if *asJSON {
		return writeJSON(stdout, rep)
	}
	fmt.Fprintf(stdout, "PCR %d after verinit, from a TPM reset with nothing else measured into it:\n", rep.PCR)
	for _, b := range tpmBanks {
		fmt.Fprintf(stdout, "  %-6s %s\n", b, rep.Values[b.String()])
	}
	fmt.Fprintln(stdout, "events:")
	for i, e := range events {
		fmt.Fprintf(stdout, "  %d %-10s %s\n", i+1, e.Type, e.Data)
	}
	return nil
}

// measuredOf is what the init measures for decision dec under cfg, as
// cmd/init's measured makes it from the same facts.
func measuredOf(dec *inspectDecision, cfg config.Config) tpm.Measured {
	m := tpm.Measured{Policy: cfg.Policy.String(), Slot: config.SlotText(cfg.Slot)}
	switch {
	case dec.Root == "tmpfs":
		m.Root = "tmpfs"
	case dec.RootHash != "":
		m.RootHash, m.Signer = dec.RootHash, dec.Signer
	default:
		m.Root = "unverified"
	}
	if u := dec.Usr; u != nil {
		if u.RootHash != "" {
			m.UsrHash, m.UsrSigner = u.RootHash, u.Signer
		} else {
			m.Usr = "unverified"
		}
	}
	return m
}

// tpmPredictDoc is the manual's text for tpm predict.
var tpmPredictDoc = strings.Join([]string{
	"Print the value PCR 15 (or the policy's `tpm-pcr=`) will hold after the init measured a boot of these disks with this command line and initramfs, in each bank (sha1, sha256, sha384, sha512), and the events that make it, as `/run/verinit/tpm-events.json` lists them. The decision is the init's own, as in `inspect --initramfs`: the policy in force, the root (and /usr) hash checked against its tree, the signer checked against the packed certificates, the slot keys of the command line. A release pipeline seals secrets to the value in advance (see docs/tpm.md).",
	"The value assumes the PCR was reset and nothing but the init extended it before the switch; a boot the init would refuse is an error (exit 1).",
}, "\n\n")
