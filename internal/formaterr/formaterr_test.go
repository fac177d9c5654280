package formaterr

import (
	"errors"
	"testing"
)

type stringer struct{}

func (stringer) String() string { return "4f68bce3-e8cd-4db1-96e7-fbcaf984b709" }

func TestText(t *testing.T) {
	for _, tc := range []struct {
		name string
		text Text
		want string
	}{
		{"offset only", Text{Pkg: "gpt", Msg: "primary header: no partition entries", Offset: 0x250},
			"gpt: primary header: no partition entries at byte 0x250"},
		{"offset zero", Text{Pkg: "verity", Msg: "superblock: short superblock of 0 bytes, want 512"},
			"verity: superblock: short superblock of 0 bytes, want 512 at byte 0x0"},
		{"want without value is not printed", Text{Pkg: "gpt", Msg: "m", Offset: 1, Want: uint32(5)},
			"gpt: m at byte 0x1"},
		{"value without want", Text{Pkg: "gpt", Msg: "m", Offset: 0x10, Value: uint64(7)},
			"gpt: m at byte 0x10: got 7"},
		{"hex", Text{Pkg: "gpt", Msg: "primary header: bad header CRC", Offset: 0x210, Value: uint32(0x1234), Want: uint32(0x5678), Hex: true},
			"gpt: primary header: bad header CRC at byte 0x210: got 0x1234, want 0x5678"},
		{"decimal", Text{Pkg: "fsdetect", Msg: "m", Offset: 0x418, Value: uint32(128), Want: "<= 6"},
			"fsdetect: m at byte 0x418: got 128, want <= 6"},
		{"unsigned kinds", Text{Pkg: "p", Msg: "m", Value: uint8(255), Want: uint16(65535)},
			"p: m at byte 0x0: got 255, want 65535"},
		{"unsigned kinds in hex", Text{Pkg: "p", Msg: "m", Value: uint(255), Want: uint8(16), Hex: true},
			"p: m at byte 0x0: got 0xff, want 0x10"},
		{"zero in hex", Text{Pkg: "p", Msg: "m", Value: uint64(0), Want: uint16(0xffff), Hex: true},
			"p: m at byte 0x0: got 0x0, want 0xffff"},
		{"largest", Text{Pkg: "p", Msg: "m", Value: ^uint64(0), Want: int64(-1 << 63)},
			"p: m at byte 0x0: got 18446744073709551615, want -9223372036854775808"},
		{"signed", Text{Pkg: "p", Msg: "m", Value: int(-3), Want: int64(1) << 40},
			"p: m at byte 0x0: got -3, want 1099511627776"},
		{"signed kinds", Text{Pkg: "p", Msg: "m", Value: int8(-8), Want: int16(16)},
			"p: m at byte 0x0: got -8, want 16"},
		{"signed in hex", Text{Pkg: "p", Msg: "m", Value: int32(255), Want: int(-1), Hex: true},
			"p: m at byte 0x0: got 0xff, want -0x1"},
		{"string as is", Text{Pkg: "verity", Msg: "m", Offset: 0x20, Value: `"md5"`, Want: "sha1, sha256 or sha512"},
			`verity: m at byte 0x20: got "md5", want sha1, sha256 or sha512`},
		{"bytes quoted", Text{Pkg: "gpt", Msg: `primary header: no "EFI PART" signature`, Offset: 0x200, Value: []byte("EFI\x00PART\n")},
			`gpt: primary header: no "EFI PART" signature at byte 0x200: got "EFI\x00PART\n"`},
		{"nil bytes are a value", Text{Pkg: "p", Msg: "m", Value: []byte(nil), Want: []byte{}},
			`p: m at byte 0x0: got "", want ""`},
		{"stringer", Text{Pkg: "gpt", Msg: "m", Offset: 0x410, Value: stringer{}},
			"gpt: m at byte 0x410: got 4f68bce3-e8cd-4db1-96e7-fbcaf984b709"},
		{"error", Text{Pkg: "p", Msg: "m", Value: errors.New("boom")},
			"p: m at byte 0x0: got boom"},
		{"other", Text{Pkg: "p", Msg: "m", Value: struct{}{}, Want: 1.5},
			"p: m at byte 0x0: got ?, want ?"},
		{"large offset", Text{Pkg: "p", Msg: "m", Offset: 1<<63 - 1},
			"p: m at byte 0x7fffffffffffffff"},
		{"negative offset", Text{Pkg: "p", Msg: "m", Offset: -16},
			"p: m at byte -0x10"},
		{"line", Text{Pkg: "lvm", Msg: `vg/logical_volumes/root: duplicate key "id" (first on line 15)`, Offset: 0x1234, Line: 17, LineOf: "metadata"},
			`lvm: metadata line 17: vg/logical_volumes/root: duplicate key "id" (first on line 15)`},
		{"line with values", Text{Pkg: "lvm", Msg: "vg: bad seqno", Line: 3, LineOf: "metadata", Value: int64(-1), Want: ">= 1"},
			"lvm: metadata line 3: vg: bad seqno: got -1, want >= 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.text.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
