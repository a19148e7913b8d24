package resources_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/circularfairict/portal/bus"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/store/storetest"
)

const (
	groupA = "aaaaaaaaaaaaaaaaaaaaaaaa"
	groupB = "bbbbbbbbbbbbbbbbbbbbbbbb"
)

// viewers are every kind of viewer the library knows.
var viewers = map[string]resources.Viewer{
	"anonymous":          {},
	"pending":            {ID: "pending"},
	"member":             {ID: "member", Approved: true},
	"other group":        {ID: "other", Approved: true, Groups: []string{groupB}},
	"group member":       {ID: "insider", Approved: true, Groups: []string{groupA}},
	"owner":              {ID: "owner-group", Approved: true},
	"pending owner":      {ID: "owner-members"},
	"admin":              {ID: "admin", Approved: true, All: true},
	"admin not in any":   {All: true},
	"member of both":     {ID: "both", Approved: true, Groups: []string{groupA, groupB}},
	"unapproved insider": {ID: "x", Groups: []string{groupA}},
}

// seedVisibility shares one document per visibility, all with the word
// zorblax, each with its own type so facet counts tell them apart.
func seedVisibility(t *testing.T, s *resources.Service) map[string]*resources.Resource {
	t.Helper()
	docs := []struct {
		key, typ string
		vis      resources.Visibility
		group    string
	}{
		{"public", "criteria_set", resources.VisibilityPublic, ""},
		{"members", "case_study", resources.VisibilityMembers, ""},
		{"group", "contract_clause", resources.VisibilityGroup, groupA},
		{"other-group", "guidance", resources.VisibilityGroup, groupB},
	}
	out := map[string]*resources.Resource{}
	for _, d := range docs {
		m := meta("Secret "+d.key+" document", "About the "+d.key+" zorblax.", d.typ, "en")
		m.Visibility, m.GroupID = d.vis, d.group
		out[d.key] = create(t, s, "owner-"+d.key, m, d.key+".txt", []byte("The "+d.key+" zorblax clause <script>alert(1)</script> text.\n"))
	}
	return out
}

// The index answers for every viewer exactly what CanSee allows: the hits,
// their total, their snippets and every facet count.
func TestIndexVisibilityForEveryViewer(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	docs := seedVisibility(t, s)
	for name, v := range viewers {
		t.Run(name, func(t *testing.T) {
			var want []string
			wantTypes := map[string]int{}
			wantGroups := map[string]int{}
			for _, r := range docs {
				if v.CanSee(r) {
					want = append(want, r.ID)
					wantTypes[r.Type]++
					if r.GroupID != "" {
						wantGroups[r.GroupID]++
					}
				}
			}
			for _, q := range []string{"zorblax", "", "secret document", "zorbl"} {
				res, err := s.Search(ctx, resources.Search{Q: q, Viewer: v, PerPage: 50})
				if err != nil {
					t.Fatal(err)
				}
				got := ids(res.Items)
				sort.Strings(got)
				sort.Strings(want)
				if !reflect.DeepEqual(got, want) || res.Total != len(want) {
					t.Fatalf("%q: got %v (total %d), want %v", q, got, res.Total, want)
				}
				// The count alone, as the combined page's other tabs ask it.
				if c, err := s.Search(ctx, resources.Search{Q: q, Viewer: v, PerPage: 50, CountOnly: true}); err != nil || c.Total != len(want) || len(c.Items) != 0 {
					t.Fatalf("%q count only: %+v, %v; want total %d, no items", q, c, err, len(want))
				}
				if !reflect.DeepEqual(counts(res.Facets["type"]), wantTypes) {
					t.Errorf("%q: type counts %v, want %v", q, counts(res.Facets["type"]), wantTypes)
				}
				if !reflect.DeepEqual(counts(res.Facets["group"]), wantGroups) {
					t.Errorf("%q: group counts %v, want %v", q, counts(res.Facets["group"]), wantGroups)
				}
				for _, r := range res.Items {
					// The prefix too: the words it begins are highlighted.
					if (q == "zorblax" || q == "zorbl") && !strings.Contains(string(r.Snippet), "<mark>zorblax</mark>") {
						t.Errorf("%s: snippet %q", r.Title, r.Snippet)
					}
					if strings.Contains(string(r.Snippet), "<script") {
						t.Errorf("%s: snippet lets markup through: %q", r.Title, r.Snippet)
					}
				}
			}
			// A facet selection counts within what the viewer sees too.
			res, err := s.Search(ctx, resources.Search{Q: "zorblax", Viewer: v, Filters: map[string][]string{"type": {"contract_clause"}}})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(counts(res.Facets["type"]), wantTypes) {
				t.Errorf("selected: type counts %v, want %v", counts(res.Facets["type"]), wantTypes)
			}
			if res.Total != wantTypes["contract_clause"] {
				t.Errorf("selected: %d results, want %d", res.Total, wantTypes["contract_clause"])
			}
		})
	}
}

func counts(fc []resources.FacetCount) map[string]int {
	out := map[string]int{}
	for _, f := range fc {
		if f.Count > 0 {
			out[f.Value] = f.Count
		}
	}
	return out
}

// Withdrawal, a new version, a change of visibility or group and curation
// reach the index at once.
func TestIndexFollowsEveryChange(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	docs := seedVisibility(t, s)
	anon, insider := viewers["anonymous"], viewers["group member"]
	found := func(v resources.Viewer, q string, r *resources.Resource, opts ...func(*resources.Search)) bool {
		t.Helper()
		sq := resources.Search{Q: q, Viewer: v, PerPage: 50}
		for _, o := range opts {
			o(&sq)
		}
		res, err := s.Search(ctx, sq)
		if err != nil {
			t.Fatal(err)
		}
		return hasID(res.Items, r.ID)
	}

	pub := docs["public"]
	if _, err := s.AddVersion(ctx, pub.ID, "owner-public", receive(t, s, "v2.txt", []byte("Now about quuxinator take-back.\n")), "second"); err != nil {
		t.Fatal(err)
	}
	if !found(anon, "quuxinator", pub) || !found(anon, "zorblax", pub) {
		t.Error("after a new version: the new text and the first version's text both find it")
	}

	// The group's document opened to all members, then moved to group B.
	g := docs["group"]
	m := g.Meta
	m.Visibility, m.GroupID = resources.VisibilityMembers, ""
	if _, err := s.Update(ctx, g.ID, m); err != nil {
		t.Fatal(err)
	}
	if !found(viewers["member"], "zorblax", g) {
		t.Error("opened to members: a member does not find it")
	}
	m.Visibility, m.GroupID = resources.VisibilityGroup, groupB
	if _, err := s.Update(ctx, g.ID, m); err != nil {
		t.Fatal(err)
	}
	if found(insider, "zorblax", g) || !found(viewers["other group"], "zorblax", g) {
		t.Error("moved to group B: group A still finds it, or group B does not")
	}

	if err := s.SetGoodPractice(ctx, pub.ID, true); err != nil {
		t.Fatal(err)
	}
	if !found(anon, "", pub, func(q *resources.Search) { q.GoodPractice = true }) {
		t.Error("marked good practice: not among the curated")
	}

	if err := s.Withdraw(ctx, pub.ID, "admin", "outdated"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []resources.Viewer{anon, viewers["admin"]} {
		if found(v, "zorblax", pub) || found(v, "", pub) {
			t.Errorf("withdrawn: still found by %+v", v)
		}
	}
}

// Two servers on one database and one bus: a change made on one is in the
// other's index at once; the index rebuilt from nothing then equals the
// one kept by changes.
func TestIndexTwoServersAndRebuild(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	b := bus.NewLocalBus()
	var svcs []*resources.Service
	for i := 0; i < 2; i++ {
		s, err := resources.New(st.DB, resources.Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		openIndex(t, s, t.TempDir(), b)
		svcs = append(svcs, s)
	}
	a, other := svcs[0], svcs[1]
	docs := seedVisibility(t, a)
	r := create(t, a, "o", meta("Refurbished laptops framework", "Frame agreement.", "guidance", "fr"), "f.txt", []byte("Ordinateurs reconditionnés.\n"))
	for _, s := range svcs {
		res, err := s.Search(ctx, resources.Search{Q: "refurbished", Viewer: viewers["anonymous"]})
		if err != nil || !hasID(res.Items, r.ID) {
			t.Fatalf("a new resource is not found on every server: %v %v", res, err)
		}
	}
	if err := a.Withdraw(ctx, docs["members"].ID, "admin", "gone"); err != nil {
		t.Fatal(err)
	}
	res, err := other.Search(ctx, resources.Search{Q: "zorblax", Viewer: viewers["admin"]})
	if err != nil || hasID(res.Items, docs["members"].ID) || res.Total != 3 {
		t.Fatalf("withdrawn on one server, still found on the other: %v %v", ids(res.Items), err)
	}
	m := docs["group"].Meta
	m.Visibility = resources.VisibilityPublic
	m.GroupID = ""
	if _, err := other.Update(ctx, docs["group"].ID, m); err != nil {
		t.Fatal(err)
	}

	fresh, err := resources.New(st.DB, resources.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	openIndex(t, fresh, t.TempDir(), nil)
	for name, v := range viewers {
		for _, q := range []string{"", "zorblax", "refurbished", "secret", "ordinateur"} {
			want, err := a.Search(ctx, resources.Search{Q: q, Viewer: v, PerPage: 50})
			if err != nil {
				t.Fatal(err)
			}
			got, err := fresh.Search(ctx, resources.Search{Q: q, Viewer: v, PerPage: 50})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(summary(got), summary(want)) {
				t.Errorf("%s %q: rebuilt %v, kept by changes %v", name, q, summary(got), summary(want))
			}
		}
	}
}

func summary(r *resources.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d:", r.Total)
	for _, it := range r.Items {
		fmt.Fprintf(&b, " %s %.6f %s;", it.ID, it.Score, it.Snippet)
	}
	for _, f := range resources.Facets {
		fmt.Fprintf(&b, " %s=%v", f, r.Facets[f])
	}
	return b.String()
}

// A missing or corrupt index directory is rebuilt; changes made to the
// database while no server ran (an edit, a deletion) are caught up.
func TestIndexRebuiltWhenMissingOrCorrupt(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	s, err := resources.New(st.DB, resources.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "search")
	ix, err := s.OpenIndex(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs := seedVisibility(t, s)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	// While no server runs: one resource deleted, one withdrawn.
	if _, err := st.DB.Collection("resources").DeleteOne(ctx, map[string]any{"_id": docs["public"].ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Collection("resources").UpdateOne(ctx, map[string]any{"_id": docs["members"].ID},
		map[string]any{"$set": map[string]any{"withdrawn": map[string]any{"reason": "r", "by": "a"}}}); err != nil {
		t.Fatal(err)
	}
	admin := viewers["admin"]
	check := func(step string, want int) {
		t.Helper()
		res, err := s.Search(ctx, resources.Search{Q: "zorblax", Viewer: admin})
		if err != nil || res.Total != want || res.Building {
			t.Fatalf("%s: %v results (building %v), want %d: %v", step, res.Total, res.Building, want, err)
		}
	}
	ix, err = s.OpenIndex(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("caught up after a restart", 2)
	_ = ix.Close()

	// Corrupt: every file of the index overwritten.
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			_ = os.WriteFile(p, []byte("not an index"), 0o600)
		}
		return nil
	})
	ix, err = s.OpenIndex(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("rebuilt from a corrupt directory", 2)
	aside, _ := filepath.Glob(dir + ".broken-*")
	if len(aside) != 1 {
		t.Errorf("the corrupt index was not moved aside: %v", aside)
	}
	_ = ix.Close()

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	ix, err = s.OpenIndex(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("rebuilt from nothing", 2)
	_ = ix.Close()
}

// Queries a person or a script may type never fail: operators of bleve's
// query language are punctuation, quotes may be unbalanced, the text may
// be long or not UTF-8.
func TestIndexHostileQueries(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	seedVisibility(t, s)
	long := strings.Repeat("zorblax ", 1000)
	for _, q := range []string{
		`+zorblax -secret`, `title:zorblax`, `zorblax^10`, `zorblax~2`, `zorb*`, `(zorblax OR x) AND y`, `/zor.*/`,
		`"zorblax clause`, `"""`, `"zorblax clause"`, `""`, long, "zorb\xff\xfelax", "\x00\x01", `\"\\`, `{"$ne": 1}`,
		`<script>alert(1)</script>`, strings.Repeat(`"a b" `, 50), "*", "?", ":", "~", "^",
	} {
		res, err := s.Search(ctx, resources.Search{Q: q, Viewer: viewers["admin"]})
		if err != nil {
			t.Errorf("%.40q: %v", q, err)
			continue
		}
		for _, r := range res.Items {
			if strings.Contains(string(r.Snippet), "<script") {
				t.Errorf("%.40q: snippet %q", q, r.Snippet)
			}
		}
	}
	res, err := s.Search(ctx, resources.Search{Q: `"zorblax clause"`, Viewer: viewers["admin"]})
	if err != nil || res.Total != 4 {
		t.Fatalf("phrase: %d %v", res.Total, err)
	}
	res, err = s.Search(ctx, resources.Search{Q: `"clause zorblax"`, Viewer: viewers["admin"]})
	if err != nil || res.Total != 0 {
		t.Fatalf("phrase in the wrong order: %d %v", res.Total, err)
	}
	res, err = s.Search(ctx, resources.Search{Q: "zorbalx", Viewer: viewers["admin"]})
	if err != nil || res.Total != 0 || res.Suggestion != "zorblax" {
		t.Fatalf("misspelt: %d results, suggestion %q, %v", res.Total, res.Suggestion, err)
	}
}

// A change no server announced (`portal import` beside a running server)
// reaches the index at the next catch-up, as the server's sweep runs it.
func TestIndexCatchUpFindsUnannouncedChanges(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	s, err := resources.New(st.DB, resources.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ix := openIndex(t, s, t.TempDir(), nil)
	quiet, err := resources.New(st.DB, resources.Options{TempDir: t.TempDir()}) // no index: announces nothing
	if err != nil {
		t.Fatal(err)
	}
	r := create(t, quiet, "o", meta("Imported battery clause", "From a manifest.", "contract_clause", "en"), "b.txt", []byte("Battery replacement.\n"))
	find := func() bool {
		res, err := s.Search(ctx, resources.Search{Q: "battery", Viewer: viewers["anonymous"]})
		if err != nil {
			t.Fatal(err)
		}
		return hasID(res.Items, r.ID)
	}
	if find() {
		t.Fatal("found before any catch-up: the test shows nothing")
	}
	stats, err := ix.CatchUp(ctx, nil)
	if err != nil || stats.Added != 1 || !find() {
		t.Fatalf("after a catch-up: %+v %v, found %v", stats, err, find())
	}
	if err := quiet.Withdraw(ctx, r.ID, "admin", "gone"); err != nil {
		t.Fatal(err)
	}
	if stats, err = ix.CatchUp(ctx, nil); err != nil || stats.Removed != 1 || find() {
		t.Fatalf("withdrawn without announcement, after a catch-up: %+v %v", stats, err)
	}
}

// A match in the summary gives a snippet from it; one in the title only
// gives none (the result shows the title), though both share a field.
func TestSnippetFromSummaryNotTitle(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	create(t, s, "owner", meta("Quokka charter", "How the wombat clause reads in practice.", "guidance", "en"), "q.txt", []byte("Nothing of note here.\n"))
	for q, want := range map[string]string{"wombat": "<mark>wombat</mark>", "quokka": ""} {
		res, err := s.Search(ctx, resources.Search{Q: q + " ", Viewer: resources.Viewer{All: true}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 1 {
			t.Fatalf("%q: %d items", q, len(res.Items))
		}
		got := string(res.Items[0].Snippet)
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("%q: snippet %q, want %q", q, got, want)
		}
	}
}
