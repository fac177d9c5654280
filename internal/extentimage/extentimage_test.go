package extentimage

import (
	"bytes"
	"io"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	img := make([]byte, 8192)
	copy(img[512:], "EFI PART")
	copy(img[4000:], []byte{1, 0, 0, 2})
	enc := Encode(Extent{Off: 0, Data: img})
	im := &Image{Size: int64(len(img)), Extents: Decode(enc)}
	got := make([]byte, len(img))
	if n, err := im.ReadAt(got, 0); n != len(img) || err != nil {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	if !bytes.Equal(got, img) {
		t.Error("round trip changed the image")
	}
	if len(enc) > 64 {
		t.Errorf("encoding of a sparse image is %d bytes", len(enc))
	}
	if n, err := im.ReadAt(make([]byte, 10), 8190); n != 2 || err != io.EOF {
		t.Errorf("read past the end = %d, %v", n, err)
	}
}
