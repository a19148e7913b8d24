package site

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

const (
	colLogo = "site_logo"
	logoID  = "logo"
)

// Limits of the community's logo: it shows 32 pixels high in the header, so
// anything larger only costs every visitor bandwidth.
const (
	MaxLogoBytes = 512 << 10
	MaxLogoSide  = 2048
)

// LogoRef is what pages need of the logo: its content hash and file
// extension, kept in the settings document that every page reads anyway.
type LogoRef struct {
	Hash string `bson:"hash" json:"hash"`
	Ext  string `bson:"ext" json:"ext"`
}

// Path is the logo's address; the hash in it lets browsers keep it forever.
func (r *LogoRef) Path() string {
	if r == nil || r.Hash == "" {
		return ""
	}
	return "/site/logo/" + r.Hash + "." + r.Ext
}

// Logo is the stored image. It lives in the database, not on disk, since
// several replicas serve the same portal.
type Logo struct {
	ID          string `bson:"_id"`
	Data        []byte `bson:"data"`
	ContentType string `bson:"content_type"`
	LogoRef     `bson:",inline"`
	Width       int       `bson:"width"`
	Height      int       `bson:"height"`
	UpdatedAt   time.Time `bson:"updated_at"`
}

// NewLogo checks an uploaded image: PNG, JPEG or WebP by its bytes (never
// SVG, which can carry script), within MaxLogoBytes and MaxLogoSide.
// Errors are on the "logo" field.
func NewLogo(data []byte) (*Logo, error) {
	if len(data) > MaxLogoBytes {
		return nil, fault.New(fault.Invalid, "site.error.logo_size", MaxLogoBytes>>10).OnField("logo")
	}
	var (
		ct, ext string
		w, h    int
		err     error
	)
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		ct, ext = "image/png", "png"
		w, h, err = decodeConfig(png.DecodeConfig, data)
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		ct, ext = "image/jpeg", "jpg"
		w, h, err = decodeConfig(jpeg.DecodeConfig, data)
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		ct, ext = "image/webp", "webp"
		w, h, err = webpSize(data)
	default:
		return nil, fault.New(fault.Invalid, "site.error.logo_type").OnField("logo")
	}
	if err != nil || w <= 0 || h <= 0 {
		return nil, fault.New(fault.Invalid, "site.error.logo_type").OnField("logo")
	}
	if w > MaxLogoSide || h > MaxLogoSide {
		return nil, fault.New(fault.Invalid, "site.error.logo_side", MaxLogoSide).OnField("logo")
	}
	sum := sha256.Sum256(data)
	return &Logo{ID: logoID, Data: data, ContentType: ct, Width: w, Height: h,
		LogoRef: LogoRef{Hash: hex.EncodeToString(sum[:16]), Ext: ext}}, nil
}

func decodeConfig(f func(io.Reader) (image.Config, error), data []byte) (int, int, error) {
	c, err := f(bytes.NewReader(data))
	return c.Width, c.Height, err
}

// webpSize reads the canvas size from the first chunk (the standard
// library has no WebP decoder): lossy VP8, lossless VP8L or extended VP8X.
func webpSize(b []byte) (int, int, error) {
	bad := fmt.Errorf("site: not a WebP image")
	if len(b) < 30 {
		return 0, 0, bad
	}
	switch string(b[12:16]) {
	case "VP8 ":
		if b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a {
			return 0, 0, bad
		}
		return int(binary.LittleEndian.Uint16(b[26:]) & 0x3fff), int(binary.LittleEndian.Uint16(b[28:]) & 0x3fff), nil
	case "VP8L":
		if b[20] != 0x2f {
			return 0, 0, bad
		}
		v := binary.LittleEndian.Uint32(b[21:])
		return int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1, nil
	case "VP8X":
		le24 := func(p []byte) int { return int(p[0]) | int(p[1])<<8 | int(p[2])<<16 }
		return le24(b[24:]) + 1, le24(b[27:]) + 1, nil
	}
	return 0, 0, bad
}

// Logo returns the stored logo, or nil when none is set.
func (st *Store) Logo(ctx context.Context) (*Logo, error) {
	var l Logo
	err := st.db.Collection(colLogo).FindOne(ctx, bson.M{"_id": logoID}).Decode(&l)
	if store.IsNoDocuments(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("site: logo: %w", err)
	}
	return &l, nil
}

// SaveLogo replaces the logo. The caller then saves the settings with its
// LogoRef; until then pages keep the old address, which still answers
// only if its hash is the stored one (a 404 shows the alt text, empty).
func (st *Store) SaveLogo(ctx context.Context, l *Logo) error {
	l.ID, l.UpdatedAt = logoID, time.Now().UTC().Truncate(time.Millisecond)
	if _, err := st.db.Collection(colLogo).ReplaceOne(ctx, bson.M{"_id": logoID}, l, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("site: save logo: %w", err)
	}
	return nil
}

// RemoveLogo deletes the logo; the header shows the built-in icon again.
func (st *Store) RemoveLogo(ctx context.Context) error {
	if _, err := st.db.Collection(colLogo).DeleteOne(ctx, bson.M{"_id": logoID}); err != nil {
		return fmt.Errorf("site: remove logo: %w", err)
	}
	return nil
}
