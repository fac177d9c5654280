package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/rootdev"
)

const hash64 = "4e8b1c5e0d7f2a3b9c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b"

const hash128 = hash64 + hash64

func TestParseVerity(t *testing.T) {
	env := []byte("UUID=8a678132-d493-401d-a0f6-903006c0a5d8\nHASH_TYPE=1\nDATA_BLOCKS=2048\nDATA_BLOCK_SIZE=1024[bytes]\n" +
		"HASH_BLOCKS=20\nHASH_BLOCK_SIZE=4096\nHASH_ALGORITHM=sha256\nSALT=5ecc8487\nROOT_HASH=" + hash64 + "\nDATA_SIZE=2097152\nSEPARATE_HASH=0\n")
	tests := []struct {
		name    string
		line    string
		packed  Packed
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "systemd keys, no root=", line: "roothash=" + strings.ToUpper(hash64) + " systemd.verity_root_data=PARTLABEL=root-a systemd.verity_root_hash=PARTLABEL=hash-a",
			check: func(t *testing.T, c Config) {
				v := c.Verity
				if v == nil || v.Source != FromSystemd || v.RootHash != hash64 || v.Data.Kind != rootdev.ByPartLabel || v.Hash.Value != "hash-a" ||
					v.HashOffset != 0 || v.HashOffsetFromFS || v.Options.Mode != ModeRestart || v.Options.FormatSet {
					t.Errorf("verity = %+v", v)
				}
			}},
		{name: "systemd keys with root=/dev/mapper/root", line: "root=/dev/mapper/root roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3"},
		{name: "systemd keys with another root=", line: "root=/dev/vda2 roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3",
			wantErr: "root=/dev/vda2: with systemd.verity_root_data= the root is the verity device: leave root= out or give /dev/mapper/root"},
		{name: "systemd's hash-offset, the tree appended to the data", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda2 " +
			"systemd.verity_root_options=hash-offset=1048576",
			check: func(t *testing.T, c Config) {
				if v := c.Verity; v.HashOffset != 1<<20 || v.HashOffsetFromFS || v.Hash != v.Data {
					t.Errorf("verity = %+v", v)
				}
			}},
		{name: "hash-offset as verinit's key says", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 " +
			"verinit.verity_hash_offset=4096 systemd.verity_root_options=hash-offset=4096"},
		{name: "hash-offset against verinit's key", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 " +
			"verinit.verity_hash_offset=8192 systemd.verity_root_options=hash-offset=4096",
			wantErr: "verinit.verity_hash_offset=8192 and systemd.verity_root_options=hash-offset=4096 disagree"},
		{name: "hash-offset not sector-aligned", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 " +
			"systemd.verity_root_options=hash-offset=1000",
			wantErr: "systemd.verity_root_options: hash-offset=1000: want bytes, a multiple of 512"},
		{name: "hash-offset for root= with the tree appended", line: "root=PARTUUID=6b1d3c1e-0000-4000-8000-000000000002 roothash=" + hash64 + " systemd.verity_root_options=hash-offset=65536",
			check: func(t *testing.T, c Config) {
				if v := c.Verity; v.HashOffset != 65536 || v.HashOffsetFromFS {
					t.Errorf("verity = %+v", v)
				}
			}},
		{name: "rd.systemd.verity=no", line: "root=/dev/vda2 roothash=" + hash64 + " rd.systemd.verity=no",
			check: func(t *testing.T, c Config) {
				if c.Verity != nil {
					t.Errorf("verity = %+v", c.Verity)
				}
			}},
		{name: "forward error correction", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 " +
			"systemd.verity_root_options=fec-device=PARTLABEL=root-a-fec,fec-offset=8192,fec-roots=24",
			check: func(t *testing.T, c Config) {
				if f := c.Verity.FEC; f == nil || f.Device.Kind != rootdev.ByPartLabel || f.Device.Value != "root-a-fec" || f.OffsetBytes != 8192 || f.Roots != 24 {
					t.Errorf("FEC %+v", f)
				}
			}},
		{name: "FEC roots by default", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 systemd.verity_root_options=fec-device=/dev/vda4",
			check: func(t *testing.T, c Config) {
				if f := c.Verity.FEC; f == nil || f.Roots != DefaultFECRoots || f.OffsetBytes != 0 {
					t.Errorf("FEC %+v", f)
				}
			}},
		{name: "FEC options without the device", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 systemd.verity_root_options=fec-roots=4",
			wantErr: "systemd.verity_root_options: fec-offset= and fec-roots= need fec-device="},
		{name: "FEC offset inside a sector", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 systemd.verity_root_options=fec-device=/dev/vda4,fec-offset=100",
			wantErr: "systemd.verity_root_options: fec-offset=100: want bytes, a multiple of 512"},
		{name: "rd.systemd.verity against systemd.verity", line: "root=/dev/vda2 roothash=" + hash64 + " systemd.verity=yes rd.systemd.verity=0",
			wantErr: "systemd.verity= and rd.systemd.verity= disagree"},
		{name: "all known options", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 verinit.verity_hash_offset=4096 " +
			"systemd.verity_root_options=superblock=false,format=0,data-block-size=1024,hash-block-size=512,data-blocks=77,salt=AB01,hash=sha512,uuid=x,panic-on-corruption,restart-on-error,ignore-zero-blocks,check-at-most-once",
			check: func(t *testing.T, c Config) {
				want := VerityOptions{NoSuperblock: true, Format: 0, FormatSet: true, DataBlockSize: 1024, HashBlockSize: 512, DataBlocks: 77, Salt: []byte{0xab, 0x01}, SaltSet: true,
					UUID: "x", Algorithm: "sha512", Mode: ModePanic, ErrorMode: "restart_on_error", IgnoreZeroBlocks: true, CheckAtMostOnce: true}
				if !reflect.DeepEqual(c.Verity.Options, want) || c.Verity.HashOffset != 4096 {
					t.Errorf("options = %+v, offset %d", c.Verity.Options, c.Verity.HashOffset)
				}
				if got := c.Verity.Options.KernelOptions(); !reflect.DeepEqual(got, []string{"panic_on_corruption", "restart_on_error", "ignore_zero_blocks", "check_at_most_once"}) {
					t.Errorf("kernel options %q", got)
				}
			}},
		{name: "two modes", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 systemd.verity_root_options=ignore-corruption,restart-on-corruption",
			wantErr: "systemd.verity_root_options: more than one of ignore-corruption, restart-on-corruption, panic-on-corruption"},
		{name: "bad block size", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 systemd.verity_root_options=data-block-size=1000",
			wantErr: "systemd.verity_root_options: data-block-size=1000: want a power of two from 512 to 65536"},
		{name: "systemd's root-hash-signature", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 systemd.verity_root_options=root-hash-signature=/x.p7s",
			check: func(t *testing.T, c Config) {
				if c.Verity.Sig.Path != "/x.p7s" || c.Verity.Sig.From != "root-hash-signature" {
					t.Errorf("sig = %+v", c.Verity.Sig)
				}
			}},
		{name: "verinit.roothashsig base64, kernel mode", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.roothashsig=base64:AQID verinit.verity_sig=kernel",
			check: func(t *testing.T, c Config) {
				if string(c.Verity.Sig.Inline) != "\x01\x02\x03" || !c.Verity.KernelSig {
					t.Errorf("verity = %+v", c.Verity)
				}
			}},
		{name: "verinit.roothashsig partition", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.roothashsig=PARTLABEL=sig-a",
			check: func(t *testing.T, c Config) {
				if c.Verity.Sig.Part.Kind != rootdev.ByPartLabel || c.Verity.Sig.Part.Value != "sig-a" {
					t.Errorf("sig = %+v", c.Verity.Sig)
				}
			}},
		{name: "root-hash-signature on a partition, as verinit.roothashsig= takes it", line: "root=/dev/vda2 roothash=" + hash64 + " systemd.verity_root_options=root-hash-signature=PARTLABEL=root-a-sig",
			check: func(t *testing.T, c Config) {
				if s := c.Verity.Sig; s.From != "root-hash-signature" || s.Part.Kind != rootdev.ByPartLabel || s.Part.Value != "root-a-sig" {
					t.Errorf("signature %+v", s)
				}
			}},
		{name: "two signatures", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.roothashsig=/a systemd.verity_root_options=root-hash-signature=/b",
			wantErr: "verinit.roothashsig= and root-hash-signature= both name a signature; give one"},
		{name: "bad base64", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.roothashsig=base64:%%%", wantErr: "verinit.roothashsig: not base64"},
		{name: "signature required by the command line", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.signature=required",
			check: func(t *testing.T, c Config) {
				if c.Policy.Signature != Required || c.Policy.Verity != Required {
					t.Errorf("policy = %+v", c.Policy)
				}
			}},
		{name: "packed signature policy cannot be weakened", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.signature=optional", packed: Packed{Policy: []byte("signature=required\n")},
			wantErr: "verinit.signature=optional: the initramfs policy requires a signed root hash; the command line cannot weaken it"},
		{name: "missing hash device", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2",
			wantErr: "systemd.verity_root_data=, systemd.verity_root_hash= and roothash= go together; some are missing"},
		{name: "root plus roothash: hash appended", line: "root=PARTUUID=6b1d3c1e-0000-4000-8000-000000000002 roothash=" + hash64,
			check: func(t *testing.T, c Config) {
				v := c.Verity
				if v.Source != FromRoot || v.Data != v.Hash || !v.HashOffsetFromFS || c.Root != v.Data {
					t.Errorf("verity = %+v, root %+v", v, c.Root)
				}
			}},
		{name: "explicit hash offset", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.verity_hash_offset=1048576",
			check: func(t *testing.T, c Config) {
				if c.Verity.HashOffsetFromFS || c.Verity.HashOffset != 1048576 {
					t.Errorf("verity = %+v", c.Verity)
				}
			}},
		{name: "bad hash offset", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.verity_hash_offset=100", wantErr: "verinit.verity_hash_offset=100: want bytes, a multiple of 512"},
		{name: "short root hash", line: "root=/dev/vda2 roothash=abcd", wantErr: "roothash=abcd: want the root hash in hex (40 to 128 digits)"},
		{name: "roothash alone: DPS pairing", line: "roothash=" + hash64, check: func(t *testing.T, c Config) {
			v := c.Verity
			if v.Source != FromDPS || v.Data.Raw != "PARTUUID=4e8b1c5e-0d7f-2a3b-9c6d-5e4f3a2b1c0d" || v.Hash.Raw != "PARTUUID=9e8f7a6b-5c4d-3e2f-1a0b-9c8d7e6f5a4b" || c.AutoRoot {
				t.Errorf("verity = %+v", v)
			}
		}},
		{name: "root= with roothash=: the paired partition", line: "root=/dev/vda2 roothash=" + hash64, check: func(t *testing.T, c Config) {
			h, err := c.Verity.PairedHash()
			if err != nil || h.Raw != "PARTUUID=9e8f7a6b-5c4d-3e2f-1a0b-9c8d7e6f5a4b" {
				t.Errorf("PairedHash = %+v, %v", h, err)
			}
			c.Verity.UseHashPartition(h)
			if c.Verity.HashOffsetFromFS || c.Verity.Hash != h {
				t.Errorf("after UseHashPartition: %+v", c.Verity)
			}
		}},
		{name: "systemd.verity=no disables", line: "root=/dev/vda2 roothash=" + hash64 + " systemd.verity=no", check: func(t *testing.T, c Config) {
			if c.Verity != nil {
				t.Errorf("verity = %+v", c.Verity)
			}
		}},
		{name: "eio mode", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.verity_on_corruption=eio", check: func(t *testing.T, c Config) {
			if c.Verity.Options.Mode != ModeEIO || len(c.Verity.Options.KernelOptions()) != 0 {
				t.Errorf("mode %q", c.Verity.Options.Mode)
			}
		}},
		{name: "dm-verity.env appended", line: "root=PARTLABEL=rootfs", packed: Packed{VerityEnv: env}, check: func(t *testing.T, c Config) {
			v := c.Verity
			if v.Source != FromVerityEnv || v.RootHash != hash64 || v.HashOffset != 2097152 || v.HashOffsetFromFS ||
				v.Options.DataBlockSize != 1024 || v.Options.HashBlockSize != 4096 || string(v.Options.Salt) != "\x5e\xcc\x84\x87" || v.Options.Format != 1 || !v.Options.FormatSet ||
				v.Data.Value != "rootfs" || v.Hash != v.Data {
				t.Errorf("verity = %+v", v)
			}
		}},
		{name: "verinit.root with roothash=", line: "verinit.root=PARTLABEL=root-a roothash=" + hash64, check: func(t *testing.T, c Config) {
			v := c.Verity
			if v.Source != FromRoot || v.Data.Kind != rootdev.ByPartLabel || v.Data.Value != "root-a" || !v.HashOffsetFromFS || c.Root != v.Data {
				t.Errorf("verity = %+v", v)
			}
		}},
		{name: "dm-verity.env appended to verinit.root", line: "verinit.root=PARTLABEL=rootfs", packed: Packed{VerityEnv: env}, check: func(t *testing.T, c Config) {
			v := c.Verity
			if v.Source != FromVerityEnv || v.Data.Value != "rootfs" || v.HashOffset != 2097152 {
				t.Errorf("verity = %+v", v)
			}
		}},
		{name: "verinit.root with the systemd keys", line: "verinit.root=/dev/vda2 roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3",
			wantErr: "verinit.root=/dev/vda2: with systemd.verity_root_data= the root is the verity device: leave verinit.root= out"},
		{name: "required by cmdline, none given", line: "root=/dev/vda2 verinit.verity=required",
			wantErr: "verity is required, but no root hash was given"},
		{name: "required by policy, none given", line: "root=/dev/vda2", packed: Packed{Policy: []byte("verity=required\n")},
			wantErr: "verity is required, but no root hash was given"},
		{name: "cmdline cannot weaken policy", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.verity=optional", packed: Packed{Policy: []byte("verity=required\n")},
			wantErr: "verinit.verity=optional: the initramfs policy requires verity; the command line cannot weaken it"},
		{name: "required and given", line: "root=/dev/vda2 roothash=" + hash64 + " verinit.verity=required", check: func(t *testing.T, c Config) {
			if c.Policy.Verity != Required || c.Verity == nil {
				t.Errorf("policy %v verity %v", c.Policy, c.Verity)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(cmdline.Parse(tc.line), tc.packed)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v\nwant prefix %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    Policy
		wantErr string
	}{
		{"", Policy{Packed: true}, ""},
		{"# c\n\nverity = required\n", Policy{Verity: Required, Packed: true}, ""},
		{"verity=optional", Policy{Packed: true}, ""},
		{"signature=required\nverity=required", Policy{Verity: Required, Signature: Required, Packed: true}, ""},
		{"sha1=allowed\nshell=refused", Policy{SHA1: Allowed, Packed: true}, ""},
		{"roothash=" + hash64 + "," + strings.ToUpper(hash64) + "," + hash128, Policy{RootHashes: []string{hash64, hash128}, Packed: true}, ""},
		{"min-version=7", Policy{MinVersion: 7, Packed: true}, ""},
		{"tpm=required\ntpm-pcr=14", Policy{TPM: Required, TPMPCR: 14, Packed: true}, ""},
		{"tpm=maybe", Policy{}, "policy line 1: tpm=maybe: want required or optional"},
		{"tpm-pcr=23", Policy{}, "policy line 1: tpm-pcr=23: PCR 23 can be reset by software, so a measurement there proves nothing"},
		{"tpm-pcr=0", Policy{}, "policy line 1: tpm-pcr=0: PCR 0 holds the firmware's own measurements"},
		{"tpm-pcr=24", Policy{}, "policy line 1: tpm-pcr=24: want a PCR number, 1 to 23"},
		{"verity=maybe", Policy{}, "policy line 1: verity=maybe: want required or optional"},
		{"sha1=yes", Policy{}, "policy line 1: sha1=yes: want allowed or refused"},
		{"roothash=xyz", Policy{}, "policy line 1: roothash=xyz: want hex root hashes (40 to 128 digits), separated by commas"},
		{"min-version=-1", Policy{}, "policy line 1: min-version=-1: want a whole number below 2^63"},
		{"verity=required\nverity=required", Policy{}, "policy line 2: verity given twice"},
		{"colour=blue", Policy{}, `policy line 1: unknown key "colour" (want verity, signature, sha1, shell, unverified-root, roothash, min-version, tpm, tpm-pcr or cmdline-keys)`},
		{"verity", Policy{}, `policy line 1: "verity": want key=value`},
	}
	for _, tc := range tests {
		got, err := ParsePolicy([]byte(tc.in))
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParsePolicy(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePolicy(%q) = %+v, %v", tc.in, got, err)
		}
		if back, err := ParsePolicy(got.Format()); err != nil || !reflect.DeepEqual(back, got) {
			t.Errorf("Format round trip of %+v = %+v, %v", got, back, err)
		}
	}
}

// TestTPMKeys: verinit.tpm= only tightens; verinit.tpm_pcr= names the PCR
// only when no policy is packed, and under one cannot move it.
func TestTPMKeys(t *testing.T) {
	root := "root=/dev/vda2 "
	for _, tc := range []struct {
		name, line, policy string
		tpm                Requirement
		pcr                int
		err                string
	}{
		{"default", root, "", Optional, 15, ""},
		{"required on the command line", root + "verinit.tpm=required", "", Required, 15, ""},
		{"packed required", root, "tpm=required\n", Required, 15, ""},
		{"cannot weaken", root + "verinit.tpm=optional", "tpm=required\n", Required, 15,
			"verinit.tpm=optional: the initramfs policy requires a TPM; the command line cannot weaken it"},
		{"a PCR without a policy", root + "verinit.tpm_pcr=12", "", Optional, 12, ""},
		{"a PCR under a policy", root + "verinit.tpm_pcr=12", "verity=optional\n", Optional, 15,
			"verinit.tpm_pcr=12: the initramfs policy measures into PCR 15; the command line cannot move it"},
		{"the packed PCR", root + "verinit.tpm_pcr=14", "tpm-pcr=14\n", Optional, 14, ""},
		{"another than the packed PCR", root + "verinit.tpm_pcr=15", "tpm-pcr=14\n", Optional, 14,
			"verinit.tpm_pcr=15: the initramfs policy measures into PCR 14; the command line cannot move it"},
		{"a resettable PCR", root + "verinit.tpm_pcr=16", "", Optional, 15,
			"verinit.tpm_pcr=16: PCR 16 can be reset by software, so a measurement there proves nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var packed Packed
			if tc.policy != "" {
				packed.Policy = []byte(tc.policy)
			}
			c, err := Parse(cmdline.Parse(tc.line), packed)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse: %v, want %s", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if c.Policy.TPM != tc.tpm || c.TPMPCR != tc.pcr {
				t.Errorf("tpm %v, PCR %d; want %v, %d", c.Policy.TPM, c.TPMPCR, tc.tpm, tc.pcr)
			}
		})
	}
}

func TestParseVerityEnvErrors(t *testing.T) {
	for in, want := range map[string]string{
		"DATA_SIZE=1":                               "dm-verity.env: no ROOT_HASH",
		"ROOT_HASH=ab\nROOT_HASH=cd":                "dm-verity.env line 2: ROOT_HASH given twice",
		"ROOT_HASH=ab\nDATA_BLOCKS=x":               "dm-verity.env: DATA_BLOCKS=x: not a number",
		"ROOT_HASH=ab\nSEPARATE_HASH=2":             "dm-verity.env: SEPARATE_HASH=2: want 0 or 1",
		"junk":                                      `dm-verity.env line 1: "junk": want KEY=value`,
		"ROOT_HASH=ab\nHASH_BLOCK_SIZE=99999999999": "dm-verity.env: HASH_BLOCK_SIZE=99999999999: not a number",
	} {
		if _, err := ParseVerityEnv([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("ParseVerityEnv(%q) = %v, want %q", in, err, want)
		}
	}
}

// FuzzParseVerityEnv: seeds in testdata/fuzz/FuzzParseVerityEnv, among
// them files made as Yocto's dm-verity-img class makes them from
// veritysetup (seeds_test.go). Errors must be one line.
func FuzzParseVerityEnv(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseVerityEnv(b)
		if err != nil {
			checkOneLine(t, err)
			return
		}
		if e.RootHash == "" {
			t.Fatal("accepted without ROOT_HASH")
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			checkOneLine(t, err)
			return
		}
		if back, err := ParsePolicy(p.Format()); err != nil || !reflect.DeepEqual(back, p) {
			t.Fatalf("round trip %+v: %+v, %v", p, back, err)
		}
	})
}

// checkOneLine fails if an error's text is empty or spans lines: the init
// logs it as one line.
func checkOneLine(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("error text %q: want one non-empty line", msg)
	}
}
