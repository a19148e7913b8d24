package resources_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/glossary"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// benchQueries are the library searches of bench/community's page table,
// so a figure here can be set beside the page's.
var benchQueries = []struct {
	name string
	q    resources.Search
}{
	{"fr word", resources.Search{Q: "réparabilité", Lang: "fr"}},
	{"nl phrase", resources.Search{Q: `"onafhankelijk rapport"`, Lang: "nl"}},
	{"prefix", resources.Search{Q: "leveranc", Lang: "nl"}},
	{"facet + word", resources.Search{Q: "audit", Lang: "en", Filters: map[string][]string{"type": {"criteria_set"}}}},
	{"en, 2 words", resources.Search{Q: "spare parts", Lang: "en"}},
	{"combined tab (brief)", resources.Search{Q: "réparabilité", Lang: "fr", Brief: true}},
}

// BenchmarkLibrarySearch runs the library searches of the community page
// benchmark through Service.Search on a generated library (default 1,000
// resources of a few pages each in en/fr/nl/de, words drawn from the
// glossary's terms so that concepts and cross-language matches occur as in
// real text), one sub-benchmark per query, as an approved member sees it.
// The figure includes the page's reads by _id; the index is built once.
//
//	PORTAL_BENCH_RESOURCES=2000 go test -run '^$' -bench LibrarySearch -benchtime 20x ./resources/
func BenchmarkLibrarySearch(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("PORTAL_BENCH_RESOURCES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	st := storetest.New(b)
	if err := st.EnsureIndexes(ctx, resources.Indexes()); err != nil {
		b.Fatal(err)
	}
	s, err := resources.New(st.DB, resources.Options{TempDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	seedLibrary(b, s, n)
	seeded := time.Since(start)
	start = time.Now()
	ix, err := s.OpenIndex(ctx, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ix.Close() })
	b.Logf("%d resources seeded in %s, indexed in %s", n, seeded.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	viewer := resources.Viewer{ID: "reader", Approved: true}
	for _, bq := range benchQueries {
		b.Run(bq.name, func(b *testing.B) {
			q := bq.q
			q.Viewer = viewer
			var total int
			for i := 0; i < b.N; i++ {
				res, err := s.Search(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				total = res.Total
			}
			b.ReportMetric(float64(total), "hits")
		})
	}
}

// seedLibrary shares n resources, each in one of the four languages, with a
// title, a summary and a text of about 1,500 words drawn from that
// language's glossary words (a term now and then whole, so phrases and
// concepts are found) and a fixed seed, so runs compare.
func seedLibrary(b *testing.B, s *resources.Service, n int) {
	ctx := context.Background()
	rng := rand.New(rand.NewSource(15))
	langs := []string{"en", "fr", "nl", "de"}
	words := map[string][]string{}
	terms := map[string][]string{}
	for _, c := range glossary.Default().Concepts() {
		for _, l := range langs {
			for _, t := range c.Terms[l] {
				terms[l] = append(terms[l], t)
				words[l] = append(words[l], strings.Fields(t)...)
			}
		}
	}
	// A few words the benchmark's queries look for, in their language.
	words["nl"] = append(words["nl"], "onafhankelijk", "rapport", "leverancier", "leveranciers")
	terms["nl"] = append(terms["nl"], "onafhankelijk rapport")
	words["en"] = append(words["en"], "audit", "spare", "parts")
	// Zipf-like: a few words are common, most are rare.
	zipf := map[string]*rand.Zipf{}
	for _, l := range langs {
		zipf[l] = rand.NewZipf(rng, 1.1, 4, uint64(len(words[l])-1))
	}
	sentence := func(l string, k int) string {
		var sb strings.Builder
		for j := 0; j < k; j++ {
			if j > 0 {
				sb.WriteByte(' ')
			}
			if rng.Intn(12) == 0 {
				sb.WriteString(terms[l][rng.Intn(len(terms[l]))])
			} else {
				sb.WriteString(words[l][zipf[l].Uint64()])
			}
		}
		return sb.String()
	}
	types := []string{"criteria_set", "tender_specification", "contract_clause", "case_study", "guidance", "report"}
	owner := store.NewID()
	for i := 0; i < n; i++ {
		l := langs[i%len(langs)]
		var text bytes.Buffer
		for p := 0; p < 100; p++ {
			text.WriteString(sentence(l, 15))
			text.WriteString(".\n")
		}
		m := resources.Meta{Title: sentence(l, 6), Summary: sentence(l, 30), Type: types[i%len(types)],
			Languages: []string{l}, Licence: "cc_by", Visibility: resources.VisibilityMembers}
		sp, err := s.Receive(ctx, bytes.NewReader(text.Bytes()), fmt.Sprintf("doc%d.txt", i))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Create(ctx, owner, m, sp, "", ""); err != nil {
			b.Fatal(err)
		}
		sp.Close()
	}
}
