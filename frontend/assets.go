package frontend

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Assets maps each static file to a content-hash URL, so browsers may cache
// it for a year and still see a new version as soon as it changes.
type Assets struct {
	fsys   fs.FS
	byName map[string]string // "css/portal.css" -> "/static/css/portal.3f2a9c1d.css"
	byURL  map[string]string // reverse
	// Prefix is the URL path the assets are served under.
	Prefix string
}

// LoadAssets hashes every file in fsys once at start-up.
func LoadAssets(fsys fs.FS, prefix string) (*Assets, error) {
	a := &Assets{fsys: fsys, byName: map[string]string{}, byURL: map[string]string{}, Prefix: prefix}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		url := prefix + "/" + strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.byName[p], a.byURL[url] = url, p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("frontend: assets: %w", err)
	}
	return a, nil
}

// URL returns the fingerprinted URL of a static file; templates call it as
// {{asset "css/portal.css"}}. An unknown name panics at render time in tests.
func (a *Assets) URL(name string) string {
	u, ok := a.byName[name]
	if !ok {
		panic("frontend: unknown asset " + name)
	}
	return u
}

// Open returns the file behind a fingerprinted URL.
func (a *Assets) Open(url string) ([]byte, string, bool) {
	name, ok := a.byURL[url]
	if !ok {
		return nil, "", false
	}
	b, err := fs.ReadFile(a.fsys, name)
	if err != nil {
		return nil, "", false
	}
	return b, name, true
}
