// Package privacy lets every feature declare what it stores about a member,
// so "Download my data" and "Delete my account" cover the whole portal.
// Feature packages provide Sources; the server registers them all.
package privacy

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"
)

// Source is one kind of data held about a member.
type Source struct {
	// Name becomes the file name in the export (Name + ".json").
	Name string
	// Collections lists the database collections this source covers; a test
	// checks that every collection mentioning a member is covered.
	Collections []string
	// Export returns what is stored about the member, ready for JSON.
	Export func(ctx context.Context, memberID string) (any, error)
	// Erase deletes or pseudonymises the member's data. It must be
	// idempotent: a deletion interrupted halfway is simply run again.
	Erase func(ctx context.Context, memberID string) error
	// Order runs erasures in ascending order (the member record itself
	// last, so a retry still finds the account).
	Order int
}

// Registry holds the sources of all features.
type Registry struct{ sources []Source }

// Add registers sources.
func (r *Registry) Add(s ...Source) { r.sources = append(r.sources, s...) }

// Collections returns every collection covered by a source.
func (r *Registry) Collections() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range r.sources {
		for _, c := range s.Collections {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return out
}

type manifest struct {
	MemberID    string    `json:"member_id"`
	GeneratedAt time.Time `json:"generated_at"`
	Files       []string  `json:"files"`
	Note        string    `json:"note"`
}

// Export writes a ZIP with one JSON file per source and a manifest.
func (r *Registry) Export(ctx context.Context, memberID string, w io.Writer) error {
	zw := zip.NewWriter(w)
	m := manifest{MemberID: memberID, GeneratedAt: time.Now().UTC(),
		Note: "Everything the portal stores about this member, one JSON file per kind of data."}
	for _, s := range r.sources {
		v, err := s.Export(ctx, memberID)
		if err != nil {
			return fmt.Errorf("privacy: export %s: %w", s.Name, err)
		}
		if err := writeJSON(zw, s.Name+".json", v); err != nil {
			return err
		}
		m.Files = append(m.Files, s.Name+".json")
	}
	if err := writeJSON(zw, "manifest.json", m); err != nil {
		return err
	}
	return zw.Close()
}

func writeJSON(zw *zip.Writer, name string, v any) error {
	f, err := zw.Create(name)
	if err != nil {
		return fmt.Errorf("privacy: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("privacy: %s: %w", name, err)
	}
	return nil
}

// Erase runs every source's erasure, in order. It stops at the first error;
// running it again completes the job.
func (r *Registry) Erase(ctx context.Context, memberID string) error {
	ss := append([]Source(nil), r.sources...)
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].Order < ss[j].Order })
	for _, s := range ss {
		if s.Erase == nil {
			continue
		}
		if err := s.Erase(ctx, memberID); err != nil {
			return fmt.Errorf("privacy: erase %s: %w", s.Name, err)
		}
	}
	return nil
}
