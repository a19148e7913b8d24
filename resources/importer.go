package resources

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ManifestEntry describes one file of a bulk import. In CSV, list fields
// hold values separated by ";".
type ManifestEntry struct {
	File         string   `json:"file"`
	Title        string   `json:"title"`
	Summary      string   `json:"summary"`
	Type         string   `json:"type"`
	Languages    []string `json:"languages"`
	Stages       []string `json:"stages"`
	Products     []string `json:"products"`
	Themes       []string `json:"themes"`
	Frameworks   []string `json:"frameworks"`
	Ambition     string   `json:"ambition"`
	Country      string   `json:"country"`
	Organisation string   `json:"organisation"`
	Year         int      `json:"year"`
	Licence      string   `json:"licence"`
	Award        string   `json:"award"`
	Visibility   string   `json:"visibility"`
	Group        string   `json:"group"` // group slug
}

// ReadManifest reads manifest.json or manifest.csv from dir.
func ReadManifest(dir string) ([]ManifestEntry, error) {
	if b, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil {
		var es []ManifestEntry
		if err := json.Unmarshal(b, &es); err != nil {
			return nil, fmt.Errorf("manifest.json: %v", err)
		}
		return es, nil
	}
	f, err := os.Open(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		return nil, errors.New("no manifest.json or manifest.csv in " + dir)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("manifest.csv: %v", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["file"]; !ok {
		return nil, errors.New("manifest.csv: no \"file\" column")
	}
	var es []ManifestEntry
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("manifest.csv: %v", err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		list := func(name string) []string {
			var out []string
			for _, v := range strings.Split(get(name), ";") {
				if v = strings.TrimSpace(v); v != "" {
					out = append(out, v)
				}
			}
			return out
		}
		e := ManifestEntry{File: get("file"), Title: get("title"), Summary: get("summary"), Type: get("type"), Languages: list("languages"),
			Stages: list("stages"), Products: list("products"), Themes: list("themes"), Frameworks: list("frameworks"), Ambition: get("ambition"),
			Country: get("country"), Organisation: get("organisation"), Licence: get("licence"), Award: get("award"), Visibility: get("visibility"), Group: get("group")}
		if y := get("year"); y != "" {
			if e.Year, err = strconv.Atoi(y); err != nil {
				e.Year = -1
			}
		}
		es = append(es, e)
	}
	return es, nil
}

// ImportOutcome is what happened to one manifest entry.
type ImportOutcome struct {
	Entry    ManifestEntry
	Resource *Resource
	Created  bool  // false: it existed from an earlier run
	Err      error // refused: the reason
}

// Import creates a resource per manifest entry, as owner. Files must lie in
// dir (no path escapes). Each entry is keyed on its file path, so running
// the same import again finds the resources instead of duplicating them.
// progress is called after each entry.
func (s *Service) Import(ctx context.Context, dir, owner string, entries []ManifestEntry, group func(slug string) (string, error), progress func(i int, o ImportOutcome)) []ImportOutcome {
	var out []ImportOutcome
	for i, e := range entries {
		o := ImportOutcome{Entry: e}
		o.Resource, o.Created, o.Err = s.importOne(ctx, dir, owner, e, group)
		out = append(out, o)
		if progress != nil {
			progress(i, o)
		}
	}
	return out
}

func (s *Service) importOne(ctx context.Context, dir, owner string, e ManifestEntry, group func(string) (string, error)) (*Resource, bool, error) {
	rel := filepath.Clean(filepath.FromSlash(e.File))
	if e.File == "" || filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, false, fmt.Errorf("file %q must be a path inside the import directory", e.File)
	}
	m := Meta{Title: e.Title, Summary: e.Summary, Type: e.Type, Languages: e.Languages, Stages: e.Stages, Products: e.Products,
		Themes: e.Themes, Frameworks: e.Frameworks, Ambition: e.Ambition, Country: e.Country, Organisation: e.Organisation,
		Year: e.Year, Licence: e.Licence, Award: e.Award, Visibility: Visibility(e.Visibility)}
	if m.Visibility == "" {
		m.Visibility = VisibilityMembers
	}
	if e.Group != "" {
		id, err := group(e.Group)
		if err != nil {
			return nil, false, fmt.Errorf("group %q: %v", e.Group, err)
		}
		m.GroupID = id
		if m.Visibility == VisibilityMembers {
			m.Visibility = VisibilityGroup
		}
	}
	if _, err := s.Validate(m); err != nil {
		return nil, false, err
	}
	f, err := os.Open(filepath.Join(dir, rel))
	if err != nil {
		return nil, false, fmt.Errorf("cannot open %s", e.File)
	}
	defer f.Close()
	sp, err := s.Receive(ctx, f, filepath.Base(rel))
	if err != nil {
		return nil, false, err
	}
	defer sp.Close()
	return s.Create(ctx, owner, m, sp, "", "import:"+filepath.ToSlash(rel))
}
