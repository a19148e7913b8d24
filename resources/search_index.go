package resources

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/glossary"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/store"
)

// ErrNoIndex is returned by Search on a service without a search index.
var ErrNoIndex = errors.New("resources: no search index")

// Boosts: a match in the head (title and summary) above one in the text;
// the words as typed far above a glossary concept's other terms, so
// exact-language matches rank first and cross-language ones just below.
// Far, because a document in another language can match several of the
// concept's terms, in its short title and summary, whose scores add up: at
// ten times, two English repairability documents outranked the French one
// containing the typed "réparabilité" in its body (TestTypedWordsRankFirst).
const (
	boostHead    = 3.0
	boostBody    = 1.0
	boostPrefix  = 0.5
	boostTyped   = 1000.0
	boostConcept = 1.0
	facetSize    = 100
	// facetAllSize is more values than the facets have together: the one
	// facet field's counts are split by facet and cut at facetSize each.
	facetAllSize = 1 << 16
)

// visibilityQuery is Viewer's rule as a filter of the index: the same cases
// as CanSee, so a hit, its snippet and every facet count stay within what
// the viewer may see.
func (v Viewer) visibilityQuery() query.Query {
	if v.All {
		return nil
	}
	or := []query.Query{termQ(fieldVisibility, string(VisibilityPublic))}
	if v.Approved {
		or = append(or, termQ(fieldVisibility, string(VisibilityMembers)))
		if len(v.Groups) > 0 {
			var gs []query.Query
			for _, g := range v.Groups {
				gs = append(gs, termQ(fieldGroup, g))
			}
			or = append(or, bleve.NewConjunctionQuery(termQ(fieldVisibility, string(VisibilityGroup)), bleve.NewDisjunctionQuery(gs...)))
		}
	}
	if v.ID != "" {
		or = append(or, termQ(fieldOwner, v.ID))
	}
	return bleve.NewDisjunctionQuery(or...)
}

func termQ(field, value string) query.Query {
	q := bleve.NewTermQuery(value)
	q.SetField(field)
	return q
}

// fieldBoosts are the text fields a word is looked for in: the head and
// body of each language, and the organisation for the words typed (a
// concept's terms are not names).
func fieldBoosts(langs []string, org bool) map[string]float64 {
	out := map[string]float64{}
	if org {
		out[fieldOrg] = boostBody
	}
	for _, l := range langs {
		out[textField(baseHead, l)] = boostHead
		out[textField(baseBody, l)] = boostBody
	}
	return out
}

// prefixFields are where the start of a word still being typed is looked
// up: for ranking, the one folded dictionary field (a prefix expands to
// every term it begins in each field, so one field instead of ten keeps
// that expansion small); for snippets, restricted to the page's hits, the
// stored text fields, so the words it began are highlighted.
func prefixFields(locating bool) []string {
	if !locating {
		return []string{fieldWords}
	}
	var out []string
	for _, l := range textLangs {
		out = append(out, textField(baseHead, l), textField(baseBody, l))
	}
	return out
}

// matchQuery looks for text in the fields, each field analysing it with
// its own language; every word of text must be in one field. bleve scales
// a disjunction's score by the share of its clauses that match (coord):
// a word is found in one or two of these fields, never all, so boosts are
// scaled by the number of clauses to undo that.
func (pq parsedQuery) matchQuery(text string, fields map[string]float64, boost float64, prefix string, pfields []string) query.Query {
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	var or []query.Query
	n := float64(len(names))
	if prefix != "" {
		n += float64(len(pfields))
	}
	for _, f := range names {
		if pq.ix != nil {
			or = append(or, pq.ix.Match(f, fieldAnalyzer(f), text, fields[f]*boost*n, true))
			continue
		}
		m := bleve.NewMatchQuery(text)
		m.SetField(f)
		m.SetOperator(query.MatchQueryOperatorAnd)
		m.SetBoost(fields[f] * boost * n)
		or = append(or, m)
	}
	if prefix != "" {
		for _, f := range pfields {
			p := bleve.NewPrefixQuery(prefix)
			p.SetField(f)
			p.SetBoost(boostPrefix * boost * n)
			or = append(or, p)
		}
	}
	return bleve.NewDisjunctionQuery(or...)
}

// fieldAnalyzer names the analyser of a text field of the library kind.
func fieldAnalyzer(f string) string {
	if i := strings.LastIndexByte(f, '_'); i >= 0 && f != fieldOrg {
		return search.Analyzer(langOf(f[i+1:]))
	}
	return search.Analyzer("")
}

func phraseQuery(phrase string, fields map[string]float64) query.Query {
	var or []query.Query
	for f, b := range fields {
		m := bleve.NewMatchPhraseQuery(phrase)
		m.SetField(f)
		m.SetBoost(b * boostTyped)
		or = append(or, m)
	}
	return bleve.NewDisjunctionQuery(or...)
}

// textQuery is the query of the words: every group must match, directly
// (the typed words, in any language's fields) or through one of its
// concept's terms (in the fields of that term's language).
// locating asks for the snippets' query (prefixes in the stored fields).
func textQuery(pq parsedQuery, directOnly, locating bool) query.Query {
	all := fieldBoosts(textLangs, true)
	pfields := prefixFields(locating)
	var and []query.Query
	pos := 0
	for _, g := range pq.Groups() {
		words := pq.Words[pos : pos+len(g.Clauses)]
		pos += len(g.Clauses)
		// bleve scales the group's disjunction by the share of its
		// alternatives that match: boosting every alternative by their
		// number undoes it (compound queries ignore boosts).
		nAlts := 1.0
		var terms []glossary.Term
		if g.Concept != nil && !directOnly {
			terms = pq.conceptTerms(words, g.Concept.Terms)
			nAlts += float64(len(terms))
		}
		var typed []query.Query
		for i, w := range words {
			prefix := ""
			if pq.prefix != "" && pos-len(g.Clauses)+i == len(pq.Words)-1 {
				prefix = pq.prefix
			}
			typed = append(typed, pq.matchQuery(w, all, boostTyped*nAlts, prefix, pfields))
		}
		var direct query.Query = bleve.NewConjunctionQuery(typed...)
		if len(typed) == 1 {
			direct = typed[0]
		}
		if nAlts == 1 {
			and = append(and, direct)
			continue
		}
		alts := []query.Query{direct}
		for _, t := range terms {
			alts = append(alts, pq.matchQuery(t.Text, fieldBoosts(indexLangs([]string{t.Lang}), false), boostConcept*nAlts, "", nil))
		}
		and = append(and, bleve.NewDisjunctionQuery(alts...))
	}
	for _, p := range pq.phrases {
		and = append(and, phraseQuery(p, all))
	}
	if len(and) == 1 {
		return and[0]
	}
	return bleve.NewConjunctionQuery(and...)
}

// filterQuery is what every hit must satisfy besides the words: the kind,
// the viewer's visibility, curation and the selected facets but skip.
func (q Search) filterQuery(skip string) query.Query {
	and := []query.Query{search.KindQuery(KindLibrary)}
	if vq := q.Viewer.visibilityQuery(); vq != nil {
		and = append(and, vq)
	}
	if q.GoodPractice {
		and = append(and, termQ(fieldGood, "true"))
	}
	for _, f := range Facets {
		if f == skip || len(q.Filters[f]) == 0 {
			continue
		}
		var or []query.Query
		for _, v := range q.Filters[f] {
			or = append(or, termQ(facetField(f), v))
		}
		and = append(and, bleve.NewDisjunctionQuery(or...))
	}
	return bleve.NewConjunctionQuery(and...)
}

func (q Search) request(pq parsedQuery, skip string) *bleve.SearchRequest {
	b := bleve.NewBooleanQuery()
	if pq.empty() {
		b.AddMust(bleve.NewMatchAllQuery())
	} else {
		b.AddMust(textQuery(pq, false, false))
	}
	b.AddFilter(q.filterQuery(skip))
	return bleve.NewSearchRequest(b)
}

// Search asks the index for a page of the resources the viewer may see,
// with facet counts that combine (each facet's counts apply the other
// facets' selections, not its own), then loads that page's resources by
// _id. The index holds no withdrawn resource.
func (s *Service) Search(ctx context.Context, q Search) (*Result, error) {
	if s.index == nil {
		return nil, ErrNoIndex
	}
	if q.PerPage <= 0 || q.PerPage > 100 {
		q.PerPage = 20
	}
	if q.Page < 1 {
		q.Page = 1
	}
	if q.Page > 500 {
		q.Page = 500
	}
	q.Filters = CleanFilters(q.Filters)
	pq := s.parse(q.Q, q.Lang, q.Literal)
	if q.Sort != SortNewest && q.Sort != SortDownloads && q.Sort != SortRelevance {
		q.Sort = SortNewest
		if !pq.empty() {
			q.Sort = SortRelevance
		}
	}
	res := &Result{Page: q.Page, PerPage: q.PerPage, Facets: map[string][]FacetCount{}, Query: pq.Query, Sort: q.Sort,
		Via: map[string][]string{}, Building: s.index.Building()}

	req := q.request(pq, "")
	if q.CountOnly {
		req.Size = 0
		req.Score = "none" // a total needs no ranking: bleve then scores no match
		out, err := s.index.Search(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("resources: search count: %w", err)
		}
		res.Total = int(out.Total)
		res.Pages = (res.Total + q.PerPage - 1) / q.PerPage
		return res, nil
	}
	req.Size, req.From = q.PerPage, (q.Page-1)*q.PerPage
	byScore := q.Sort == SortRelevance && !pq.empty()
	switch q.Sort {
	case SortRelevance:
		if pq.empty() {
			req.SortBy([]string{"-" + fieldCreated, "-_id"})
		}
	case SortDownloads:
		req.SortBy([]string{"-" + fieldDownloads, "-" + fieldCreated, "-_id"})
	default:
		req.SortBy([]string{"-" + fieldCreated, "-_id"})
	}
	var snippetFields []string
	for _, l := range textLangs {
		snippetFields = append(snippetFields, textField(baseBody, l))
	}
	for _, l := range textLangs {
		snippetFields = append(snippetFields, textField(baseHead, l))
	}
	if !q.Brief && len(q.Filters) < len(Facets) {
		req.AddFacet(fieldFacets, bleve.NewFacetRequest(fieldFacets, facetAllSize))
	}
	// A facet with a selection counts over the other selections only: one
	// unscored query each, asked beside the main one, since neither needs
	// the other's answer (the main query ranks on one core meanwhile).
	type facetAnswer struct {
		facet  string
		counts map[string]int
		err    error
	}
	var answers []*facetAnswer
	var asked sync.WaitGroup
	for _, f := range Facets {
		if len(q.Filters[f]) == 0 || q.Brief {
			continue
		}
		a := &facetAnswer{facet: f}
		answers = append(answers, a)
		asked.Go(func() {
			fr := q.request(pq, f)
			fr.Size = 0
			fr.Score = "none"
			fr.AddFacet(fieldFacets, bleve.NewFacetRequest(fieldFacets, facetAllSize))
			fo, err := s.index.Search(ctx, fr)
			if err != nil {
				a.err = fmt.Errorf("resources: search facets: %w", err)
				return
			}
			a.counts = facetCounts(fo.Facets[fieldFacets])[f]
		})
	}
	defer asked.Wait() // an early return leaves no query running
	var out *bleve.SearchResult
	var err error
	if byScore {
		out, err = s.index.SearchByScore(ctx, req, []string{"-" + fieldCreated, "-_id"})
	} else {
		out, err = s.index.Search(ctx, req)
	}
	if err != nil {
		return nil, fmt.Errorf("resources: search: %w", err)
	}
	facets := facetCounts(out.Facets[fieldFacets])
	asked.Wait()
	for _, a := range answers {
		if a.err != nil {
			return nil, a.err
		}
		facets[a.facet] = a.counts
	}
	for _, f := range Facets {
		counts := facets[f]
		var fc []FacetCount
		for v, n := range counts {
			fc = append(fc, FacetCount{Value: v, Count: n, Selected: contains(q.Filters[f], v)})
		}
		// Selected values stay listed even when nothing matches them now.
		for _, v := range q.Filters[f] {
			if counts[v] == 0 {
				fc = append(fc, FacetCount{Value: v, Selected: true})
			}
		}
		sort.Slice(fc, func(i, j int) bool {
			if fc[i].Count != fc[j].Count {
				return fc[i].Count > fc[j].Count
			}
			return fc[i].Value < fc[j].Value
		})
		// At most facetSize values of a facet, and the selected ones.
		kept := fc[:0]
		for i, c := range fc {
			if i < facetSize || c.Selected {
				kept = append(kept, c)
			}
		}
		res.Facets[f] = kept
	}
	res.Total = int(out.Total)
	res.Pages = (res.Total + q.PerPage - 1) / q.PerPage

	ids := make([]string, 0, len(out.Hits))
	for _, h := range out.Hits {
		_, id := search.SplitDocID(h.ID)
		ids = append(ids, id)
	}
	// The page's rows are read by _id while the index finds the snippets
	// and the concepts of every hit of the page: the reads are round trips
	// through the database, the index's queries this process's CPU, and
	// neither needs the other. A hit that the database then leaves out
	// had its snippet and concepts looked up for nothing, which costs
	// less than waiting for the rows first.
	var located map[string]*bsearch.DocumentMatch
	hitVia := &Result{Via: map[string][]string{}}
	var lerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if pq.empty() || len(out.Hits) == 0 || q.Titles {
			return
		}
		if located, lerr = s.locate(ctx, q, pq, out.Hits, snippetFields); lerr != nil || !pq.Expanded() {
			return
		}
		for _, id := range ids {
			hitVia.Items = append(hitVia.Items, &Resource{ID: id})
		}
		lerr = s.via(ctx, q, pq, hitVia)
	}()
	byID, err := s.byIDs(ctx, ids)
	<-done
	if err != nil {
		return nil, err
	}
	if lerr != nil {
		return nil, lerr
	}
	for _, h := range out.Hits {
		_, id := search.SplitDocID(h.ID)
		r := byID[id]
		// The index may lag the database by a moment: what the database
		// says now decides.
		if r == nil || r.Withdrawn != nil || !q.Viewer.CanSee(r) {
			continue
		}
		if !pq.empty() {
			r.Score = h.Score
			if l := located[h.ID]; l != nil {
				r.Snippet = template.HTML(snippetOf(l, snippetFields))
			}
		}
		if v := hitVia.Via[r.ID]; v != nil {
			res.Via[r.ID] = v
		}
		res.Items = append(res.Items, r)
	}
	if res.Total == 0 && !pq.empty() && !q.Brief {
		res.Suggestion = s.suggest(ctx, q, pq)
	}
	return res, nil
}

// facetCounts splits the counts of the one facet field (facetValue) by
// facet: facet -> value -> count.
func facetCounts(fr *bsearch.FacetResult) map[string]map[string]int {
	out := map[string]map[string]int{}
	if fr == nil || fr.Terms == nil {
		return out
	}
	for _, t := range fr.Terms.Terms() {
		f, v, ok := strings.Cut(t.Term, facetSep)
		if !ok {
			continue
		}
		if out[f] == nil {
			out[f] = map[string]int{}
		}
		out[f][v] = t.Count
	}
	return out
}

// locate asks the index again for where the query matched in the page's
// hits only, with the stored text the snippets are cut from. Asking for
// locations in the ranking query itself made the index decode the
// positions of every posting of every candidate (a broad word matches most
// of the library) to keep those of one page; restricted to the page's
// document IDs, the same query yields the same locations for them.
func (s *Service) locate(ctx context.Context, q Search, pq parsedQuery, hits bsearch.DocumentMatchCollection, fields []string) (map[string]*bsearch.DocumentMatch, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	// A conjunction led by the few IDs skips to them; as a filter they
	// would only be checked after the words had matched everywhere.
	and := bleve.NewConjunctionQuery(bleve.NewDocIDQuery(ids), textQuery(pq, false, true), q.filterQuery(""))
	req := bleve.NewSearchRequestOptions(and, len(ids), 0, false)
	req.IncludeLocations = true
	req.Fields = fields
	out, err := s.index.Search(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("resources: search snippets: %w", err)
	}
	byID := make(map[string]*bsearch.DocumentMatch, len(out.Hits))
	for _, h := range out.Hits {
		byID[h.ID] = h
	}
	return byID, nil
}

// newest asks the index for the newest resources that match every query
// of and that the viewer may see (the same visibility filter as Search),
// then loads them by _id, so a list costs the rows it shows and not the
// collection. The index holds no withdrawn resource; what the database
// says now decides, as for Search.
func (s *Service) newest(ctx context.Context, v Viewer, limit int, and ...query.Query) ([]*Resource, error) {
	and = append(and, search.KindQuery(KindLibrary))
	if vq := v.visibilityQuery(); vq != nil {
		and = append(and, vq)
	}
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(and...), limit, 0, false)
	req.SortBy([]string{"-" + fieldCreated, "-_id"})
	out, err := s.index.Search(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("resources: list: %w", err)
	}
	ids := make([]string, 0, len(out.Hits))
	for _, h := range out.Hits {
		_, id := search.SplitDocID(h.ID)
		ids = append(ids, id)
	}
	byID, err := s.byIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	rs := make([]*Resource, 0, len(ids))
	for _, id := range ids {
		if r := byID[id]; r != nil && r.Withdrawn == nil && v.CanSee(r) {
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// via names, for each resource of the page, the concepts it matched only
// through another term than the one typed: one query per concept group,
// restricted to the page.
func (s *Service) via(ctx context.Context, q Search, pq parsedQuery, res *Result) error {
	ids := make([]string, 0, len(res.Items))
	for _, r := range res.Items {
		ids = append(ids, search.DocID(KindLibrary, r.ID))
	}
	pos := 0
	for _, g := range pq.Groups() {
		n := len(g.Clauses)
		pos += n
		if g.Concept == nil || len(g.Concept.Terms) == 0 {
			continue
		}
		one := parsedQuery{Query: glossary.Query{Query: pq.Query.Query}, ix: pq.ix}
		one.Clauses, one.Words = g.Clauses, pq.Words[pos-n:pos]
		if pq.prefix != "" && pos == len(pq.Words) {
			one.prefix = pq.prefix
		}
		// Led by the page's IDs, as in locate: a filter would be
		// checked only after the words had matched in the whole library.
		and := bleve.NewConjunctionQuery(bleve.NewDocIDQuery(ids), textQuery(one, true, false))
		req := bleve.NewSearchRequestOptions(and, len(ids), 0, false)
		req.Score = "none"
		out, err := s.index.Search(ctx, req)
		if err != nil {
			return fmt.Errorf("resources: search via: %w", err)
		}
		direct := map[string]bool{}
		for _, h := range out.Hits {
			direct[h.ID] = true
		}
		for _, r := range res.Items {
			if !direct[search.DocID(KindLibrary, r.ID)] {
				res.Via[r.ID] = append(res.Via[r.ID], g.Concept.Concept.ID)
			}
		}
	}
	return nil
}

// byIDs loads resources one _id lookup each: the embedded database answers
// those from an index (an $in would read the whole collection), and a page
// holds at most a hundred. Four lookups run at a time.
func (s *Service) byIDs(ctx context.Context, ids []string) (map[string]*Resource, error) {
	found := make([]*Resource, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var r Resource
			err := s.col(colResources).FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(listProjection)).Decode(&r)
			switch {
			case store.IsNoDocuments(err):
			case err != nil:
				errs[i] = fmt.Errorf("resources: search page: %w", err)
			default:
				found[i] = &r
			}
		}()
	}
	wg.Wait()
	out := map[string]*Resource{}
	for i, r := range found {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if r != nil {
			out[ids[i]] = r
		}
	}
	return out, nil
}

// snippetOf cuts a passage around the matched words from the first stored
// field (bodies before heads, of which only summaries) that has them.
func snippetOf(h *bsearch.DocumentMatch, fields []string) string {
	for _, f := range fields {
		terms := h.Locations[f]
		if len(terms) == 0 {
			continue
		}
		values := storedValues(h.Fields[f])
		spans := map[int][]search.Span{}
		for _, locs := range terms {
			for _, l := range locs {
				i := 0
				if len(l.ArrayPositions) > 0 {
					i = int(l.ArrayPositions[0])
				}
				spans[i] = append(spans[i], search.Span{Start: int(l.Start), End: int(l.End)})
			}
		}
		head := strings.HasPrefix(f, baseHead+"_")
		best, n := -1, 0
		for i, sp := range spans {
			if head && i%2 == 0 {
				continue // a title: the result shows it already
			}
			if i < len(values) && (len(sp) > n || (len(sp) == n && i < best)) {
				best, n = i, len(sp)
			}
		}
		if best >= 0 {
			return search.Snippet(values[best], spans[best], 240)
		}
	}
	return ""
}

func storedValues(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}
