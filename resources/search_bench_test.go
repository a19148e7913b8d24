//go:build unix

package resources

import (
	"bytes"
	"context"
	"fmt"
	"github.com/blevesearch/bleve/v2"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/circularfairict/portal/glossary"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// benchQueries are the library searches of bench/community's page table,
// so a figure here can be set beside the page's.
var benchQueries = []struct {
	name string
	q    Search
}{
	{"fr word", Search{Q: "réparabilité", Lang: "fr"}},
	{"nl phrase", Search{Q: `"onafhankelijk rapport"`, Lang: "nl"}},
	{"prefix", Search{Q: "leveranc", Lang: "nl"}},
	{"facet + word", Search{Q: "audit", Lang: "en", Filters: map[string][]string{"type": {"criteria_set"}}}},
	{"en, 2 words", Search{Q: "spare parts", Lang: "en"}},
	{"combined tab (brief)", Search{Q: "réparabilité", Lang: "fr", Brief: true}},
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
	if err := st.EnsureIndexes(ctx, Indexes()); err != nil {
		b.Fatal(err)
	}
	s, err := New(st.DB, Options{TempDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	seedLibrary(b, s, n)
	// As the server does at start-up and in its sweep: the embedded
	// database's lookups by _id get their index (else each is a scan).
	if err := st.IndexIDLookups(ctx); err != nil {
		b.Fatal(err)
	}
	seeded := time.Since(start)
	start = time.Now()
	ix, err := s.OpenIndex(ctx, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ix.Close() })
	b.Logf("%d resources seeded in %s, indexed in %s", n, seeded.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	viewer := Viewer{ID: "reader", Approved: true}
	for _, bq := range benchQueries {
		q := bq.q
		q.Viewer = viewer
		b.Run(bq.name+"/page", func(b *testing.B) {
			defer cpuPerOp(b)()
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
		// The index's share: the ranking query (with the facets unless
		// brief) and the snippets' query over its hits, no database read.
		b.Run(bq.name+"/index", func(b *testing.B) {
			pq := s.parse(q.Q, q.Lang, q.Literal)
			defer cpuPerOp(b)()
			for i := 0; i < b.N; i++ {
				req := q.request(pq, "")
				req.Size = 20
				req.SortBy([]string{"-_score", "-" + fieldCreated, "-_id"})
				if !q.Brief {
					req.AddFacet(fieldFacets, bleve.NewFacetRequest(fieldFacets, facetAllSize))
				}
				out, err := s.index.Search(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if len(out.Hits) > 0 {
					if _, err := s.locate(ctx, q, pq, out.Hits, benchSnippetFields()); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func benchSnippetFields() []string {
	var out []string
	for _, l := range textLangs {
		out = append(out, textField(baseBody, l), textField(baseHead, l))
	}
	return out
}

// seedLibrary shares n resources, each in one of the four languages, with a
// title, a summary and a text of about 1,500 words drawn from that
// language's glossary words (a term now and then whole, so phrases and
// concepts are found) and a fixed seed, so runs compare.
func seedLibrary(b *testing.B, s *Service, n int) {
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
		m := Meta{Title: sentence(l, 6), Summary: sentence(l, 30), Type: types[i%len(types)],
			Languages: []string{l}, Licence: "cc_by", Visibility: VisibilityMembers}
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

// cpuPerOp reports the process's CPU time (user and system, every
// goroutine: the embedded database's too) per operation, when the returned
// function is called: on a machine shared with others, wall time follows
// their load, CPU time much less.
func cpuPerOp(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}
