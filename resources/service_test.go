package resources_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/resources/samples"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func newService(t *testing.T) (*resources.Service, *store.Store) {
	t.Helper()
	st := storetest.New(t)
	if err := st.EnsureIndexes(context.Background(), resources.Indexes()); err != nil {
		t.Fatal(err)
	}
	s, err := resources.New(st.DB, resources.Options{TempDir: t.TempDir(), MaxBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	openIndex(t, s, t.TempDir(), nil)
	return s, st
}

func meta(title, summary, typ string, langs ...string) resources.Meta {
	return resources.Meta{Title: title, Summary: summary, Type: typ, Languages: langs, Licence: "cc_by", Visibility: resources.VisibilityPublic}
}

func receive(t *testing.T, s *resources.Service, name string, data []byte) *resources.Spooled {
	t.Helper()
	sp, err := s.Receive(context.Background(), bytes.NewReader(data), name)
	if err != nil {
		t.Fatalf("receive %s: %v", name, err)
	}
	t.Cleanup(sp.Close)
	return sp
}

func create(t *testing.T, s *resources.Service, owner string, m resources.Meta, name string, data []byte) *resources.Resource {
	t.Helper()
	r, _, err := s.Create(context.Background(), owner, m, receive(t, s, name, data), "", "")
	if err != nil {
		t.Fatalf("create %s: %v", m.Title, err)
	}
	return r
}

func download(t *testing.T, s *resources.Service, v resources.Version) []byte {
	t.Helper()
	f, err := s.OpenVersion(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreateRoundTripDedupAndVersions(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	data := samples.PDF("Laptop criteria", "Lifetime of six years, spare parts for seven.")
	r := create(t, s, "owner1", meta("Laptop criteria", "Lifetime and repairability", "criteria_set", "en"), "criteria.pdf", data)
	if got := download(t, s, r.Current()); !bytes.Equal(got, data) {
		t.Fatal("downloaded bytes differ from uploaded bytes")
	}
	if r.Current().Kind != resources.KindPDF || r.Current().Size != int64(len(data)) || r.Current().Filename != "criteria.pdf" {
		t.Fatalf("version %+v", r.Current())
	}

	// The same bytes again are stored once.
	r2 := create(t, s, "owner2", meta("Same file", "Another description", "criteria_set", "en"), "copy.pdf", data)
	if r2.Current().SHA256() != r.Current().SHA256() {
		t.Fatal("digests differ")
	}
	if n, _ := st.DB.Collection("library.files").CountDocuments(ctx, map[string]any{}); n != 1 {
		t.Fatalf("%d stored files for identical bytes, want 1", n)
	}

	// A new version keeps the old one reachable.
	v2data := samples.PDF("Laptop criteria v2", "Lifetime of eight years.")
	r3, err := s.AddVersion(ctx, r.ID, "owner1", receive(t, s, "criteria-v2.pdf", v2data), "Longer lifetime")
	if err != nil {
		t.Fatal(err)
	}
	if r3.Latest != 2 || r3.Current().Note != "Longer lifetime" {
		t.Fatalf("latest %d note %q", r3.Latest, r3.Current().Note)
	}
	again, _ := s.Resource(ctx, r.ID)
	if !bytes.Equal(download(t, s, again.VersionN(1)), data) || !bytes.Equal(download(t, s, again.Current()), v2data) {
		t.Fatal("versions do not keep their own bytes")
	}
	if !strings.Contains(again.Preview, "eight years") {
		t.Fatalf("preview follows the latest version: %q", again.Preview)
	}
	if _, err := s.AddVersion(ctx, r.ID, "owner1", receive(t, s, "x.pdf", v2data), " "); err == nil {
		t.Fatal("a version without a change note was accepted")
	}
}

func TestIdempotentCreate(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	m := meta("Retry me", "A summary", "report", "en")
	data := []byte("the same upload, sent twice\n")
	r1, created1, err := s.Create(ctx, "o", m, receive(t, s, "a.txt", data), "", "key-1")
	if err != nil || !created1 {
		t.Fatal(err, created1)
	}
	r2, created2, err := s.Create(ctx, "o", m, receive(t, s, "a.txt", data), "", "key-1")
	if err != nil || created2 || r2.ID != r1.ID {
		t.Fatalf("retry: %v created=%v id %s vs %s", err, created2, r2.ID, r1.ID)
	}
	if n, _ := st.DB.Collection("resources").CountDocuments(ctx, map[string]any{}); n != 1 {
		t.Fatalf("%d resources after a retry", n)
	}
}

func TestValidateKeepsEveryFieldError(t *testing.T) {
	s, _ := newService(t)
	_, err := s.Validate(resources.Meta{Title: "x", Type: "novel", Languages: []string{"xx"}, Licence: "", Visibility: "group", Year: 1200, Country: "France"})
	var fe resources.FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("err %v", err)
	}
	for field, key := range map[string]string{
		"title": "library.error.too_short", "summary": "library.error.summary_required", "type": "library.error.type_required",
		"languages": "library.error.languages_required", "licence": "library.error.licence_required", "group": "library.error.group_required",
		"year": "library.error.year", "country": "library.error.country",
	} {
		if e := fe.Field(field); e == nil || e.Key != key {
			t.Errorf("field %s: %v, want %s", field, e, key)
		}
	}
	if f, ok := fault.As(err); !ok || f.Kind != fault.Invalid {
		t.Fatal("field errors must unwrap to an Invalid fault")
	}
}

func TestReceiveLimit(t *testing.T) {
	s, _ := newService(t)
	_, err := s.Receive(context.Background(), io.LimitReader(zeroReader{}, 8<<20+1), "big.txt")
	if f, ok := fault.As(err); !ok || f.Kind != fault.TooLarge {
		t.Fatalf("oversize upload: %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// seedSearch creates resources in the four languages; it returns their IDs by key.
func seedSearch(t *testing.T, s *resources.Service) map[string]string {
	t.Helper()
	type doc struct {
		key, title, summary, typ, lang, country string
		products, themes                        []string
		file                                    []byte
		name                                    string
		vis                                     resources.Visibility
		group                                   string
	}
	docs := []doc{
		{"en-laptop", "Laptop criteria with lifetime extension", "Criteria for a laptop tender.", "criteria_set", "en", "NL", []string{"laptops"}, []string{"lifetime_extension", "repairability"}, samples.PDF("Laptop criteria", "The laptop shall be repairable for seven years."), "laptop.pdf", resources.VisibilityPublic, ""},
		{"fr-repar", "Critères de réparabilité", "Exigences pour les ordinateurs portables.", "criteria_set", "fr", "FR", []string{"laptops"}, []string{"repairability"}, samples.DOCX("Critères", "La réparabilité est évaluée sur dix points."), "criteres.docx", resources.VisibilityPublic, ""},
		{"nl-keten", "Clausule over ketentransparantie", "De leveranciers maken hun fabrieken openbaar.", "contract_clause", "nl", "BE", []string{"all_ict"}, []string{"transparency", "hrdd"}, samples.ODT("Clausule", "Leveranciers publiceren de lijst van fabrieken."), "clausule.odt", resources.VisibilityPublic, ""},
		{"de-monitor", "Kriterien für Bildschirme", "Anforderungen an die Überprüfung der Lieferkette.", "criteria_set", "de", "DE", []string{"monitors"}, []string{"transparency"}, samples.XLSX([][]string{{"Kriterium", "Punkte"}, {"Reparierbarkeit der Bildschirme", "10"}}), "kriterien.xlsx", resources.VisibilityPublic, ""},
		{"members-only", "Members-only smartphone case study", "Refurbished smartphones.", "case_study", "en", "IE", []string{"smartphones"}, []string{"refurbished"}, []byte("Refurbished smartphones for staff.\n"), "case.md", resources.VisibilityMembers, ""},
		{"group-only", "Group-only printer clause", "Managed print.", "contract_clause", "en", "SE", []string{"printers"}, []string{"take_back"}, []byte("Take-back of printers.\n"), "print.txt", resources.VisibilityGroup, "aaaaaaaaaaaaaaaaaaaaaaaa"},
	}
	ids := map[string]string{}
	for _, d := range docs {
		m := meta(d.title, d.summary, d.typ, d.lang)
		m.Country, m.Products, m.Themes, m.Visibility, m.GroupID = d.country, d.products, d.themes, d.vis, d.group
		ids[d.key] = create(t, s, "owner-"+d.key, m, d.name, d.file).ID
	}
	return ids
}

func ids(items []*resources.Resource) []string {
	var out []string
	for _, r := range items {
		out = append(out, r.ID)
	}
	return out
}

func hasID(items []*resources.Resource, id string) bool {
	for _, r := range items {
		if r.ID == id {
			return true
		}
	}
	return false
}

func TestSearchStemmingAccentsFacetsVisibility(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	d := seedSearch(t, s)
	anon := resources.Viewer{}
	member := resources.Viewer{ID: "m", Approved: true}
	insider := resources.Viewer{ID: "g", Approved: true, Groups: []string{"aaaaaaaaaaaaaaaaaaaaaaaa"}}

	tests := []struct {
		name   string
		q      string
		v      resources.Viewer
		want   []string
		absent []string
	}{
		{"en plural finds singular", "laptops", anon, []string{"en-laptop"}, nil},
		{"en word in the file only", "repairable", anon, []string{"en-laptop"}, nil},
		{"fr without accents", "reparabilite", anon, []string{"fr-repar"}, nil},
		{"fr with accents", "réparabilité", anon, []string{"fr-repar"}, nil},
		{"fr plural in file text", "point", anon, []string{"fr-repar"}, nil},
		{"nl stem", "leverancier fabriek", anon, []string{"nl-keten"}, nil},
		{"de umlaut folded", "uberprufung", anon, []string{"de-monitor"}, nil},
		{"de plural from the spreadsheet", "Bildschirm", anon, []string{"de-monitor"}, nil},
		{"members-only hidden from visitors", "smartphones", anon, nil, []string{"members-only"}},
		{"members-only shown to members", "smartphones", member, []string{"members-only"}, nil},
		{"group-only hidden from other members", "printer", member, nil, []string{"group-only"}},
		{"group-only shown to the group", "printer", insider, []string{"group-only"}, nil},
		{"operators are only words", `{"$ne": null}`, anon, nil, []string{"en-laptop", "fr-repar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Search(ctx, resources.Search{Q: tt.q, Viewer: tt.v})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tt.want {
				if !hasID(res.Items, d[k]) {
					t.Errorf("%q does not find %s (got %v)", tt.q, k, ids(res.Items))
				}
			}
			for _, k := range tt.absent {
				if hasID(res.Items, d[k]) {
					t.Errorf("%q finds %s", tt.q, k)
				}
			}
			if res.Total != len(res.Items) {
				t.Errorf("total %d, items %d", res.Total, len(res.Items))
			}
		})
	}

	t.Run("facet counts combine", func(t *testing.T) {
		res, err := s.Search(ctx, resources.Search{Viewer: anon, Filters: map[string][]string{"type": {"criteria_set"}, "theme": {"repairability"}}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 2 {
			t.Fatalf("criteria_set AND repairability: %d results, want 2", res.Total)
		}
		count := func(facet, value string) int {
			for _, fc := range res.Facets[facet] {
				if fc.Value == value {
					return fc.Count
				}
			}
			return 0
		}
		// Type counts apply the theme filter only; theme counts the type filter only.
		if got := count("type", "criteria_set"); got != 2 {
			t.Errorf("type=criteria_set count %d, want 2", got)
		}
		if got := count("type", "contract_clause"); got != 0 {
			t.Errorf("type=contract_clause count %d, want 0 (no repairability clause)", got)
		}
		if got := count("theme", "transparency"); got != 1 {
			t.Errorf("theme=transparency count %d, want 1 (the German criteria)", got)
		}
		if got := count("language", "fr"); got != 1 {
			t.Errorf("language=fr count %d, want 1", got)
		}
		if got := count("product", "laptops"); got != 2 {
			t.Errorf("product=laptops count %d, want 2", got)
		}
	})

	t.Run("pagination and sort", func(t *testing.T) {
		p1, _ := s.Search(ctx, resources.Search{Viewer: anon, PerPage: 2, Page: 1, Sort: resources.SortNewest})
		p2, _ := s.Search(ctx, resources.Search{Viewer: anon, PerPage: 2, Page: 2, Sort: resources.SortNewest})
		if p1.Total != 4 || p1.Pages != 2 || len(p1.Items) != 2 || len(p2.Items) != 2 || p1.Items[0].ID == p2.Items[0].ID {
			t.Fatalf("pages: total %d pages %d, %v / %v", p1.Total, p1.Pages, ids(p1.Items), ids(p2.Items))
		}
		_ = s.CountDownload(ctx, d["nl-keten"])
		top, _ := s.Search(ctx, resources.Search{Viewer: anon, Sort: resources.SortDownloads})
		if top.Items[0].ID != d["nl-keten"] {
			t.Fatalf("most downloaded first: %v", ids(top.Items))
		}
		rel, _ := s.Search(ctx, resources.Search{Viewer: anon, Q: "laptop"})
		if rel.Sort != resources.SortRelevance || rel.Items[0].ID != d["en-laptop"] {
			t.Fatalf("title match first: %v", ids(rel.Items))
		}
	})

	t.Run("viewer rule matches the filter", func(t *testing.T) {
		for _, v := range []resources.Viewer{anon, member, insider} {
			res, _ := s.Search(ctx, resources.Search{Viewer: v, PerPage: 100})
			for k, id := range d {
				r, _ := s.Resource(ctx, id)
				if v.CanSee(r) != hasID(res.Items, id) {
					t.Errorf("viewer %+v: CanSee(%s)=%v but listed=%v", v, k, v.CanSee(r), hasID(res.Items, id))
				}
			}
		}
	})
}

// A search reads from the database only the page's resources, one lookup
// by _id each, whatever the number of results: filtering, ranking and
// facets come from the index.
func TestSearchQueryCount(t *testing.T) {
	s0, st := newService(t)
	var n atomic.Int64
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName == "find" || e.CommandName == "getMore" || e.CommandName == "aggregate" {
			n.Add(1)
		}
	}}
	client, err := store.Connect(context.Background(), st.URI, 10*time.Second, func(o *options.ClientOptions) { o.SetMonitor(mon) })
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	s, err := resources.New(client.Database(st.DB.Name()), resources.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		create(t, s0, "o", meta("Laptop criteria number "+strings.Repeat("x", i%3+1), "About laptops", "criteria_set", "en"), "a.txt", []byte("laptop text "+strings.Repeat("y", i)+"\n"))
	}
	openIndex(t, s, t.TempDir(), nil) // catches up with what s0 wrote
	for _, q := range []string{"", "laptops", "laptop criteria"} {
		n.Store(0)
		res, err := s.Search(context.Background(), resources.Search{Q: q, PerPage: 10})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 30 {
			t.Fatalf("%q: %d results", q, res.Total)
		}
		if got := n.Load(); got != 10 {
			t.Fatalf("search %q issued %d queries, want 10 (the page, by _id)", q, got)
		}
	}
}
