package site

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"testing"

	"github.com/circularfairict/portal/fault"
)

func webpVP8L(w, h int) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f")
	b = binary.LittleEndian.AppendUint32(b, uint32(w-1)|uint32(h-1)<<14)
	return append(b, make([]byte, 16)...)
}

func webpVP8X(w, h int) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00")
	b = append(b, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	return append(b, make([]byte, 16)...)
}

// TestNewLogo: the type comes from the bytes, the size from the image's
// own header; anything else is refused on the logo field.
func TestNewLogo(t *testing.T) {
	var j bytes.Buffer
	if err := jpeg.Encode(&j, image.NewGray(image.Rect(0, 0, 120, 40)), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		ct   string
		w, h int
	}{
		{"jpeg", j.Bytes(), "image/jpeg", 120, 40},
		{"webp lossless", webpVP8L(300, 100), "image/webp", 300, 100},
		{"webp extended", webpVP8X(2048, 512), "image/webp", 2048, 512},
	} {
		l, err := NewLogo(tc.data)
		if err != nil || l.ContentType != tc.ct || l.Width != tc.w || l.Height != tc.h || len(l.Hash) != 32 || l.Path() == "" {
			t.Errorf("%s: %+v %v", tc.name, l, err)
		}
	}
	for _, tc := range []struct {
		name string
		data []byte
		key  string
	}{
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "site.error.logo_type"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "site.error.logo_type"},
		{"truncated jpeg", j.Bytes()[:20], "site.error.logo_type"},
		{"truncated webp", webpVP8L(10, 10)[:24], "site.error.logo_type"},
		{"webp too wide", webpVP8X(4000, 10), "site.error.logo_side"},
		{"too heavy", append(j.Bytes(), make([]byte, MaxLogoBytes)...), "site.error.logo_size"},
	} {
		_, err := NewLogo(tc.data)
		if fe, ok := fault.As(err); !ok || fe.Key != tc.key || fe.Field != "logo" {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if (*LogoRef)(nil).Path() != "" {
		t.Error("no logo has an address")
	}
}
