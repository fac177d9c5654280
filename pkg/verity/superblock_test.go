package verity

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// testSuperblock returns the encoding of a valid superblock with a 32-byte
// salt.
func testSuperblock(t testing.TB) []byte {
	t.Helper()
	sb := &Superblock{
		Version: 1, HashType: 1, UUID: testUUID, Algorithm: "sha256",
		DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: 1000,
		Salt: []byte("0123456789abcdef0123456789abcdef"),
	}
	b, err := sb.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSuperblock(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mut      func(b []byte) []byte
		err      string // exact Error() text; "" for success
		field    string
		offset   int64
		sentinel error
	}{
		{name: "ok", mut: func(b []byte) []byte { return b }},
		{name: "longer input", mut: func(b []byte) []byte { return append(b, 0xff, 0xff) }},
		{name: "short", mut: func(b []byte) []byte { return b[:511] },
			err: "verity: superblock: short superblock of 511 bytes, want 512 at byte 0x1ff", offset: 511, sentinel: ErrNoSuperblock},
		{name: "empty", mut: func(b []byte) []byte { return nil },
			err: "verity: superblock: short superblock of 0 bytes, want 512 at byte 0x0", offset: 0, sentinel: ErrNoSuperblock},
		{name: "signature", mut: func(b []byte) []byte { b[6] = '!'; return b },
			err: `verity: superblock: no "verity\x00\x00" signature at byte 0x0: got "verity!\x00"`, field: "Signature", sentinel: ErrNoSuperblock},
		{name: "version 2", mut: func(b []byte) []byte { b[8] = 2; return b },
			err: "verity: superblock: unsupported superblock version at byte 0x8: got 2, want 1", field: "Version", offset: 8},
		{name: "version 0", mut: func(b []byte) []byte { b[8] = 0; return b },
			err: "verity: superblock: unsupported superblock version at byte 0x8: got 0, want 1", field: "Version", offset: 8},
		{name: "hash type 2", mut: func(b []byte) []byte { b[12] = 2; return b },
			err: "verity: superblock: unsupported hash type at byte 0xc: got 2, want 0 or 1", field: "HashType", offset: 12},
		{name: "hash type high byte", mut: func(b []byte) []byte { b[15] = 1; return b },
			err: "verity: superblock: unsupported hash type at byte 0xc: got 16777217, want 0 or 1", field: "HashType", offset: 12},
		{name: "algorithm upper case", mut: func(b []byte) []byte { copy(b[32:], "SHA256"); return b },
			err: `verity: superblock: unsupported hash algorithm at byte 0x20: got "SHA256", want sha1, sha256 or sha512`, field: "Algorithm", offset: 32},
		{name: "algorithm md5", mut: func(b []byte) []byte { copy(b[32:], "md5\x00\x00\x00"); return b },
			err: `verity: superblock: unsupported hash algorithm at byte 0x20: got "md5", want sha1, sha256 or sha512`, field: "Algorithm", offset: 32},
		{name: "algorithm empty", mut: func(b []byte) []byte { clear(b[32:64]); return b },
			err: `verity: superblock: unsupported hash algorithm at byte 0x20: got "", want sha1, sha256 or sha512`, field: "Algorithm", offset: 32},
		{name: "algorithm not terminated", mut: func(b []byte) []byte { copy(b[32:64], bytes.Repeat([]byte{'a'}, 32)); return b },
			err: `verity: superblock: algorithm name not NUL-terminated at byte 0x20: got "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"`, field: "Algorithm", offset: 32},
		{name: "algorithm trailing garbage", mut: func(b []byte) []byte { b[32+10] = 'x'; return b },
			err: `verity: superblock: non-zero byte after the algorithm name at byte 0x2a: got "sha256\x00\x00\x00\x00x\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"`, field: "Algorithm", offset: 42},
		{name: "data block size 1000", mut: func(b []byte) []byte { binary.LittleEndian.PutUint32(b[64:], 1000); return b },
			err: "verity: superblock: invalid data block size at byte 0x40: got 1000, want a power of two from 512 to 65536", field: "DataBlockSize", offset: 64},
		{name: "data block size 256", mut: func(b []byte) []byte { binary.LittleEndian.PutUint32(b[64:], 256); return b },
			err: "verity: superblock: invalid data block size at byte 0x40: got 256, want a power of two from 512 to 65536", field: "DataBlockSize", offset: 64},
		{name: "data block size 128k", mut: func(b []byte) []byte { binary.LittleEndian.PutUint32(b[64:], 128<<10); return b },
			err: "verity: superblock: invalid data block size at byte 0x40: got 131072, want a power of two from 512 to 65536", field: "DataBlockSize", offset: 64},
		{name: "hash block size 0", mut: func(b []byte) []byte { binary.LittleEndian.PutUint32(b[68:], 0); return b },
			err: "verity: superblock: invalid hash block size at byte 0x44: got 0, want a power of two from 512 to 65536", field: "HashBlockSize", offset: 68},
		{name: "no data blocks", mut: func(b []byte) []byte { binary.LittleEndian.PutUint64(b[72:], 0); return b },
			err: "verity: superblock: no data blocks at byte 0x48: got 0, want >= 1", field: "DataBlocks", offset: 72},
		{name: "data blocks overflow", mut: func(b []byte) []byte { binary.LittleEndian.PutUint64(b[72:], 1<<52); return b },
			err: "verity: superblock: data size overflows a 63-bit byte offset at byte 0x48: got 4503599627370496, want <= 2251799813685247", field: "DataBlocks", offset: 72},
		{name: "salt size 257", mut: func(b []byte) []byte { binary.LittleEndian.PutUint16(b[80:], 257); return b },
			err: "verity: superblock: salt size too large at byte 0x50: got 257, want 256", field: "SaltSize", offset: 80},
		{name: "pad1", mut: func(b []byte) []byte { b[85] = 1; return b },
			err: "verity: superblock: non-zero padding at byte 0x55: got 1, want 0", field: "Pad1", offset: 85},
		{name: "byte after salt", mut: func(b []byte) []byte { b[88+32] = 7; return b },
			err: "verity: superblock: non-zero byte after the salt at byte 0x78: got 7, want 0", field: "Salt", offset: 120},
		{name: "last salt byte", mut: func(b []byte) []byte { b[343] = 7; return b },
			err: "verity: superblock: non-zero byte after the salt at byte 0x157: got 7, want 0", field: "Salt", offset: 343},
		{name: "pad2", mut: func(b []byte) []byte { b[511] = 0xff; return b },
			err: "verity: superblock: non-zero padding at byte 0x1ff: got 255, want 0", field: "Pad2", offset: 511},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mut(testSuperblock(t))
			sb, err := ParseSuperblock(b)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("ParseSuperblock: %v", err)
				}
				enc, err := sb.MarshalBinary()
				if err != nil {
					t.Fatalf("MarshalBinary: %v", err)
				}
				if !bytes.Equal(enc, b[:SuperblockSize]) {
					t.Fatal("MarshalBinary(ParseSuperblock(b)) != b")
				}
				return
			}
			if sb != nil || err == nil {
				t.Fatalf("ParseSuperblock = %+v, %v; want error %q", sb, err, tc.err)
			}
			if err.Error() != tc.err {
				t.Errorf("error\n got %s\nwant %s", err, tc.err)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			if fe.Field != tc.field || fe.Offset != tc.offset {
				t.Errorf("Field, Offset = %q, %d; want %q, %d", fe.Field, fe.Offset, tc.field, tc.offset)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("error does not match %v", tc.sentinel)
			}
			if tc.sentinel == nil && errors.Is(err, ErrNoSuperblock) {
				t.Errorf("error matches ErrNoSuperblock")
			}
		})
	}
}

func TestSuperblockRoundTrip(t *testing.T) {
	for _, sb := range []Superblock{
		{Version: 1, HashType: 1, UUID: testUUID, Algorithm: "sha256", DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: 1, Salt: []byte{1, 2, 3}},
		{Version: 1, HashType: 0, Algorithm: "sha1", DataBlockSize: 512, HashBlockSize: 65536, DataBlocks: 1 << 40},
		{Version: 1, HashType: 1, Algorithm: "sha512", DataBlockSize: 65536, HashBlockSize: 512, DataBlocks: 12345, Salt: bytes.Repeat([]byte{0xa5}, 256)},
	} {
		b, err := sb.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary(%+v): %v", sb, err)
		}
		if len(b) != SuperblockSize {
			t.Fatalf("MarshalBinary: %d bytes", len(b))
		}
		got, err := ParseSuperblock(b)
		if err != nil {
			t.Fatalf("ParseSuperblock(MarshalBinary(%+v)): %v", sb, err)
		}
		if !reflect.DeepEqual(*got, sb) {
			t.Fatalf("round trip\n got %+v\nwant %+v", *got, sb)
		}
	}
}

func TestMarshalBinaryErrors(t *testing.T) {
	good := Superblock{Version: 1, HashType: 1, Algorithm: "sha256", DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: 8}
	for _, tc := range []struct {
		name  string
		mut   func(sb *Superblock)
		field string
	}{
		{"version 0", func(sb *Superblock) { sb.Version = 0 }, "Version"},
		{"hash type", func(sb *Superblock) { sb.HashType = 2 }, "HashType"},
		{"algorithm", func(sb *Superblock) { sb.Algorithm = "sha256-but-longer-than-31-characters" }, "Algorithm"},
		{"data block size", func(sb *Superblock) { sb.DataBlockSize = 4095 }, "DataBlockSize"},
		{"hash block size", func(sb *Superblock) { sb.HashBlockSize = 1 << 17 }, "HashBlockSize"},
		{"data blocks", func(sb *Superblock) { sb.DataBlocks = 0 }, "DataBlocks"},
		{"salt", func(sb *Superblock) { sb.Salt = make([]byte, 257) }, "SaltSize"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := good
			tc.mut(&sb)
			b, err := sb.MarshalBinary()
			var fe *FormatError
			if !errors.As(err, &fe) || b != nil {
				t.Fatalf("MarshalBinary = %d bytes, %v; want a *FormatError", len(b), err)
			}
			if fe.Field != tc.field {
				t.Fatalf("Field = %q, want %q (%v)", fe.Field, tc.field, err)
			}
		})
	}
}

func TestSuperblockCheckDevice(t *testing.T) {
	sb, err := ParseSuperblock(testSuperblock(t)) // 1000 blocks of 4096 bytes
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		size int64
		err  string
	}{
		{1000 * 4096, ""},
		{1000*4096 + 4095, ""},
		{1 << 40, ""},
		{1000*4096 - 1, "verity: superblock: data blocks extend past the end of the 4095999-byte data device at byte 0x48: got 1000, want <= 999"},
		{0, "verity: superblock: data blocks extend past the end of the 0-byte data device at byte 0x48: got 1000, want <= 0"},
		{-1, "verity: invalid parameters: negative data device size -1"},
	} {
		err := sb.CheckDevice(tc.size)
		if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("CheckDevice(%d) = %v, want %q", tc.size, err, tc.err)
		}
	}
}

func TestSuperblockCheckParams(t *testing.T) {
	sb, err := ParseSuperblock(testSuperblock(t))
	if err != nil {
		t.Fatal(err)
	}
	p := stdParams(1000)
	if err := sb.CheckParams(p); err != nil {
		t.Fatalf("CheckParams(matching) = %v", err)
	}
	noUUID := p
	noUUID.UUID = [16]byte{}
	if err := sb.CheckParams(noUUID); err != nil {
		t.Fatalf("CheckParams(zero UUID) = %v", err)
	}
	for _, tc := range []struct {
		field  string
		offset int64
		mut    func(p *Params)
		err    string
	}{
		{"HashType", 12, func(p *Params) { p.HashType = 0 }, "verity: superblock: HashType does not match the parameters at byte 0xc: got 1, want 0"},
		{"Algorithm", 32, func(p *Params) { p.Algorithm = "sha1" }, "verity: superblock: Algorithm does not match the parameters at byte 0x20: got sha256, want sha1"},
		{"DataBlockSize", 64, func(p *Params) { p.DataBlockSize = 512 }, "verity: superblock: DataBlockSize does not match the parameters at byte 0x40: got 4096, want 512"},
		{"HashBlockSize", 68, func(p *Params) { p.HashBlockSize = 512 }, "verity: superblock: HashBlockSize does not match the parameters at byte 0x44: got 4096, want 512"},
		{"DataBlocks", 72, func(p *Params) { p.DataBlocks = 999 }, "verity: superblock: DataBlocks does not match the parameters at byte 0x48: got 1000, want 999"},
		{"Salt", 88, func(p *Params) { p.Salt = nil }, "verity: superblock: Salt does not match the parameters at byte 0x58: got 3031323334353637383961626364656630313233343536373839616263646566, want -"},
		{"UUID", 16, func(p *Params) { p.UUID[15] ^= 1 }, "verity: superblock: UUID does not match the parameters at byte 0x10: got 8a678132d493401da0f6903006c0a5d8, want 8a678132d493401da0f6903006c0a5d9"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			q := p
			q.Salt = bytes.Clone(p.Salt)
			tc.mut(&q)
			err := sb.CheckParams(q)
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrSuperblockMismatch) {
				t.Fatalf("CheckParams = %v, want a *FormatError matching ErrSuperblockMismatch", err)
			}
			if fe.Field != tc.field || fe.Offset != tc.offset || err.Error() != tc.err {
				t.Fatalf("CheckParams = %q (Field %q, Offset %d), want %q (Field %q, Offset %d)", err, fe.Field, fe.Offset, tc.err, tc.field, tc.offset)
			}
		})
	}
}
