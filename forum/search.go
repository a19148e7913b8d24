package forum

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/blevesearch/bleve/v2"
	blevesearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/circularfairict/portal/glossary"
	"github.com/circularfairict/portal/search"
)

// SearchQuery is a search over threads and posts. CategoryIDs are the
// categories the searcher may see; the other fields are optional filters.
type SearchQuery struct {
	Query       glossary.Query
	CategoryIDs []string
	GroupID     string // "" any; the portal-wide categories are filtered by CategoryIDs
	AuthorID    string
	Tag         string
	Solved      string // "", "yes", "no"
	Limit       int
}

// Hit is one thread found, with the post that matched best.
type Hit struct {
	Thread *Thread
	N      int // matching post (1 when the title or opening post matched)
	// Via lists the glossary concepts the thread matched through another
	// term than the one typed; nil when it contains the words typed.
	Via []string
	// Score is the relevance of the best-matching post (0 without words).
	Score float64
	// Snippet is a passage of the best-matching post: HTML with <mark>
	// around the matched words, everything else escaped; "" when the
	// thread matched by its title or tags only, or without words.
	Snippet string
}

// best is the best-ranked post of a thread found.
type best struct {
	hit    *blevesearch.DocumentMatch
	thread string
	n      int
}

// ErrNoIndex is returned by Search before the server gave the store its
// search index.
var ErrNoIndex = errors.New("forum: no search index")

// Boosts: a thread's title and tags weigh above its posts' text, the words
// typed above the other terms of the concept they name.
const (
	boostTitle   = 3
	boostConcept = 0.4
	// searchWindow is how many posts per thread are ranked to find Limit
	// threads; searchFirstWindow is asked first, as most searches find
	// Limit threads among its posts and a smaller window is a smaller
	// heap of hits for the index to keep (and a shorter tie check).
	searchWindow      = 10
	searchFirstWindow = 3
	// snippetWidth is about how many bytes of a post a snippet shows.
	snippetWidth = 220
)

// Search finds threads whose title, tags and opening post, or one of whose
// posts, contain every word of the query (each word matching in any of the
// four languages, or through the glossary concept it names, in another
// language), in the search index. Visibility is decided at query time:
// only posts of the categories in q.CategoryIDs match, and held threads
// and held, hidden or deleted posts are not in the index at all. Hits are
// ranked by relevance (threads containing the words typed above those
// found through a concept's other terms; recency breaks ties), each with
// a snippet from its best-matching post. When the words typed alone find
// Limit threads, those are the hits, ranked by the words typed alone (a
// thread that also holds the concept's other terms gains nothing from
// them); the concept's terms then bring in threads only when the words
// typed find fewer.
func (s *Store) Search(ctx context.Context, q SearchQuery) ([]Hit, error) {
	wq, order, err := s.rank(ctx, &q, true)
	if err != nil || len(order) == 0 {
		return nil, err
	}
	return s.hits(ctx, q, wq, order, 0, len(order))
}

// SearchPage is Search by pages of size, page counted from 1 and kept
// within the pages there are; it also returns how many threads the index
// ranked in all (at most q.Limit), which the database has not checked: only
// the shown page's threads and posts are read (each by _id), so a thread
// held a moment ago may be counted and left off its page.
func (s *Store) SearchPage(ctx context.Context, q SearchQuery, page, size int) ([]Hit, int, error) {
	wq, order, err := s.rank(ctx, &q, true)
	if err != nil || len(order) == 0 {
		return nil, 0, err
	}
	from := min(max(page, 1)-1, (len(order)-1)/size) * size
	hits, err := s.hits(ctx, q, wq, order, from, size)
	return hits, len(order), err
}

// Count is how many threads Search would find, from the index alone: the
// threads and posts are not read, so a thread held or a post hidden a
// moment ago, which the index has not heard of yet, may still be counted
// (Search leaves it out). For pages that show the number, not the hits.
// It counts the same threads as Search when at most Limit × 10 posts
// match; beyond, the threads of that many of the matching posts, not
// necessarily the best-ranked ones (the count is capped at Limit either
// way), since counting without scores lets the index merge the words'
// postings without ranking them.
func (s *Store) Count(ctx context.Context, q SearchQuery) (int, error) {
	_, order, err := s.rank(ctx, &q, false)
	return len(order), err
}

// rank asks the index for the best post of each thread matching q, in rank
// order, at most q.Limit threads, and the words' query it asked (nil
// without words). Unscored, it asks for the posts in the index's order,
// without relevance or recency (for Count).
func (s *Store) rank(ctx context.Context, q *SearchQuery, scored bool) (query.Query, []best, error) {
	return s.rankCategories(ctx, q, scored, false)
}

// rankCategories is rank; union asks for the allowed categories' union
// rather than leaving the others out (categoryClause).
func (s *Store) rankCategories(ctx context.Context, q *SearchQuery, scored, union bool) (query.Query, []best, error) {
	if s.index == nil {
		return nil, nil, ErrNoIndex
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if len(q.CategoryIDs) == 0 {
		return nil, nil, nil
	}
	must := []query.Query{search.KindQuery(SearchKind)}
	notCats, left, err := s.categoryClause(q.CategoryIDs, &must, union)
	if err != nil {
		return nil, nil, err
	}
	if q.GroupID != "" {
		must = append(must, term(fGroup, q.GroupID))
	}
	if q.AuthorID != "" {
		must = append(must, term(fAuthor, q.AuthorID))
	}
	if q.Tag != "" {
		must = append(must, term(fTags, q.Tag))
	}
	if q.Solved == "yes" || q.Solved == "no" {
		must = append(must, term(fSolved, q.Solved))
	}
	words := !q.Query.Empty()
	if afterCategoryClause != nil {
		afterCategoryClause()
	}
	if !words {
		must = append(must, term(fOpening, "yes")) // one document per thread
		order, err := s.rankBy(ctx, withoutCats(bleve.NewConjunctionQuery(must...), notCats), q.Limit, false, scored)
		if err != nil {
			return nil, nil, err
		}
		return s.checkCategories(ctx, q, scored, left, nil, order)
	}
	filter := withoutCats(bleve.NewConjunctionQuery(must...), notCats)
	// The words typed are asked alone first when a concept adds other
	// terms: the threads containing them rank above those found through
	// the concept only (hits puts those after), so when they alone fill
	// Limit threads, they are the answer, and the concept's terms (up to
	// glossary.MaxTerms, often broad: "corrective action" for a
	// remediation) need not be merged and scored over their postings.
	// Otherwise the whole query is asked, as when the typed words name no
	// concept.
	tries := []query.Query{s.wordsQuery(q.Query, false)}
	if q.Query.Expanded() {
		tries = []query.Query{s.wordsQuery(q.Query, true), tries[0]}
	}
	var order []best
	var wq query.Query
	for _, wq = range tries {
		// With words, the rest is a filter, which the index answers
		// unscored: a category's term, scored, made a post of a small
		// category rank higher, and a disjunction of the categories,
		// scored, merged every post of every category one by one, where
		// unscored it is one union of their postings.
		b := bleve.NewBooleanQuery()
		b.AddMust(wq)
		b.AddFilter(filter)
		if order, err = s.rankBy(ctx, b, q.Limit, true, scored); err != nil {
			return nil, nil, err
		}
		if len(order) == q.Limit {
			break
		}
	}
	return s.checkCategories(ctx, q, scored, left, wq, order)
}

// rankBy asks the index for the best post of each thread matching asked,
// at most limit threads, in rank order (in the index's order, unscored).
func (s *Store) rankBy(ctx context.Context, asked query.Query, limit int, words, scored bool) ([]best, error) {
	// No stored field is asked for: a post's thread and number are in its
	// ID, and loading the stored document of every post of the window
	// (the text included) to read them cost more than ranking them.
	var order []best
	for _, window := range searchWindows(words, scored) {
		req := bleve.NewSearchRequestOptions(asked, limit*window, 0, false)
		var res *bleve.SearchResult
		var err error
		switch {
		case !scored:
			req.Score = "none"
			res, err = s.index.Search(ctx, req)
		case words:
			res, err = s.index.SearchByScore(ctx, req, []string{"-" + fLast, "_id"})
		default:
			req.SortBy([]string{"-" + fLast, "_id"})
			res, err = s.index.Search(ctx, req)
		}
		if err != nil {
			return nil, fmt.Errorf("forum: search: %w", err)
		}
		order = bestPosts(res.Hits, limit)
		// The window's hits are the first of the whole ranking (score,
		// then recency and ID, one order), so its threads are those a
		// wider window gives, unless it held fewer than Limit threads
		// and more posts matched.
		if len(order) == limit || len(res.Hits) < req.Size {
			break
		}
	}
	return order, nil
}

// checkCategories returns wq and order unless a category was added to the
// index while it was asked (see newCategorySince), when it asks again.
func (s *Store) checkCategories(ctx context.Context, q *SearchQuery, scored bool, left map[string]bool, wq query.Query, order []best) (query.Query, []best, error) {
	if left != nil {
		// The categories were left out by the index's list as it was
		// before the search: a category added since, not allowed, asks
		// again by the allowed ones (a count must not include it either,
		// though hits checks every category against the database).
		changed, err := s.newCategorySince(q.CategoryIDs, left)
		if err != nil {
			return nil, nil, err
		}
		if changed {
			return s.rankCategories(ctx, q, scored, true)
		}
	}
	return wq, order, nil
}

// afterCategoryClause, when set (tests), runs between the reading of the
// index's categories and the search.
var afterCategoryClause func()

// searchWindows are the windows rank tries, in posts per thread asked for,
// each only when the one before held fewer threads than asked with more
// posts matching. Without words, one post per thread matches (the
// opening's); counting keeps the wide window, whose cost is not the
// ranking's.
func searchWindows(words, scored bool) []int {
	switch {
	case !words && scored:
		return []int{1, searchWindow}
	case words && scored:
		return []int{searchFirstWindow, searchWindow}
	}
	return []int{searchWindow}
}

// bestPosts keeps the best-ranked post of each thread of hits, in their
// order, at most limit.
func bestPosts(hits blevesearch.DocumentMatchCollection, limit int) []best {
	var order []best
	seen := map[string]bool{}
	for _, h := range hits {
		_, pid := search.SplitDocID(h.ID)
		tid, n, ok := SplitPostID(pid)
		if !ok || seen[tid] {
			continue
		}
		seen[tid] = true
		order = append(order, best{h, tid, n})
		if len(order) == limit {
			break
		}
	}
	return order
}

// withoutCats is q without the posts of the categories not (nil: q).
func withoutCats(q, not query.Query) query.Query {
	if not == nil {
		return q
	}
	b := bleve.NewBooleanQuery()
	b.AddMust(q)
	b.AddMustNot(not)
	return b
}

// categoryClause narrows must to the categories allowed, or returns the
// categories to leave out, whichever names fewer: a reader of every
// category needs no clause at all, and one of nearly all of them is
// answered by leaving out the few others, where the disjunction of the
// allowed categories made the index merge the postings of nearly every
// post. The categories left out are those the index holds posts of (its
// dictionary of the field, read now) that are not allowed, so a category
// the caller's list has not heard of yet is left out too; left is that
// list (nil when the allowed ones were asked for, which needs no check
// after the search, see newCategorySince). union asks for the allowed
// ones' disjunction whatever the counts.
func (s *Store) categoryClause(allowed []string, must *[]query.Query, union bool) (not query.Query, left map[string]bool, err error) {
	if !union {
		out, err := s.otherCategories(allowed)
		if err != nil {
			return nil, nil, err
		}
		if len(out) <= len(allowed) {
			left = make(map[string]bool, len(out))
			qs := make([]query.Query, 0, len(out))
			for _, c := range out {
				left[c] = true
				qs = append(qs, term(fCategory, c))
			}
			if len(qs) == 0 {
				return nil, left, nil
			}
			return bleve.NewDisjunctionQuery(qs...), left, nil
		}
	}
	cats := make([]query.Query, 0, len(allowed))
	for _, id := range allowed {
		cats = append(cats, term(fCategory, id))
	}
	*must = append(*must, bleve.NewDisjunctionQuery(cats...))
	return nil, nil, nil
}

// otherCategories are the categories the index holds posts of, other than
// the allowed ones.
func (s *Store) otherCategories(allowed []string) ([]string, error) {
	in := make(map[string]bool, len(allowed))
	for _, id := range allowed {
		in[id] = true
	}
	terms, err := s.index.FieldTerms(fCategory)
	if err != nil {
		return nil, fmt.Errorf("forum: categories of the index: %w", err)
	}
	var out []string
	for _, t := range terms {
		if !in[t] {
			out = append(out, t)
		}
	}
	return out, nil
}

// newCategorySince reports whether the index now holds posts of a category
// neither allowed nor among left, the ones left out when the query was
// built: a post of a new category indexed between that and the search
// could have been ranked or counted. A dictionary read after the search
// names every category the search could have matched.
func (s *Store) newCategorySince(allowed []string, left map[string]bool) (bool, error) {
	out, err := s.otherCategories(allowed)
	if err != nil {
		return false, err
	}
	for _, c := range out {
		if !left[c] {
			return true, nil
		}
	}
	return false, nil
}

// hits reads the ranked threads and posts of one page (size from from)
// from the database and keeps what may be shown, with the snippets and
// concepts of each. The order is the index's with the threads found
// through another term than the one typed after the others, decided over
// every ranked thread before the page is cut, so pages follow one order.
func (s *Store) hits(ctx context.Context, q SearchQuery, wq query.Query, order []best, from, size int) ([]Hit, error) {
	allowed := map[string]bool{}
	for _, id := range q.CategoryIDs {
		allowed[id] = true
	}
	words := !q.Query.Empty()
	page := func(order []best) []best { return order[min(from, len(order)):min(from+size, len(order))] }
	// What is shown is what the database says now, not what the index last
	// heard: threads are read by _id, and a thread held or moved since is
	// left out (a replica may lag behind its bus). So are the posts, and a
	// post held, hidden, deleted or edited since is left out too, unless
	// the index holds every change of the posts (search.Index.Current: the
	// change log has none it has not applied); a post it found is then
	// visible and its stored text the post's. The page is that of the
	// index's order unless the snippets' query finds threads matched
	// through a concept only, which go after the others: its rows are read
	// while that query runs (round trips through the database beside this
	// process's CPU), and any row the new order brings in is read after it.
	current, err := s.index.Current(ctx, SearchKind)
	if err != nil {
		return nil, err
	}
	read := pageRows{threads: map[string]*Thread{}, posts: map[string]*Post{}, indexed: current}
	wait := s.readRows(ctx, page(order), &read)
	var located map[string]*blevesearch.DocumentMatch
	via := map[string][]string{}
	if words {
		if located, err = s.locate(ctx, wq, order); err != nil {
			_ = wait()
			return nil, err
		}
		for _, b := range order {
			l := located[b.hit.ID]
			if l == nil {
				l = &blevesearch.DocumentMatch{}
			}
			via[b.hit.ID] = s.via(q.Query, l.Locations)
		}
		order = append([]best{}, order...)
		sort.SliceStable(order, func(i, j int) bool {
			vi, vj := via[order[i].hit.ID] == nil, via[order[j].hit.ID] == nil
			return vi && !vj // the index's order otherwise: score, then recency
		})
	}
	if err := wait(); err != nil {
		return nil, err
	}
	order = page(order)
	var missing []best
	for _, b := range order {
		if _, ok := read.threads[b.thread]; !ok {
			missing = append(missing, b)
		}
	}
	if err := s.readRows(ctx, missing, &read)(); err != nil {
		return nil, err
	}
	threads, posts := read.threads, read.posts
	out := make([]Hit, 0, len(order))
	for _, b := range order {
		t, p := threads[b.thread], posts[PostID(b.thread, b.n)]
		if t == nil || t.Held || !allowed[t.CategoryID] {
			continue
		}
		switch {
		case current && words && located[b.hit.ID] == nil:
			continue // left the index since it was ranked
		case !current && (p == nil || !p.Visible()):
			continue
		}
		h := Hit{Thread: t, N: b.n}
		if words {
			h.Score = b.hit.Score
			h.Via = via[b.hit.ID]
			l := located[b.hit.ID]
			if l == nil {
				l = &blevesearch.DocumentMatch{}
			}
			if text, _ := l.Fields[fText].(string); text != "" && (current || text == PlainText(p.HTML)) {
				h.Snippet = search.Snippet(text, textSpans(l.Locations), snippetWidth)
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// pageRows are the threads and posts read for a page of hits; a thread or
// post the database no longer has is recorded as nil, so it is not asked
// again.
type pageRows struct {
	threads map[string]*Thread
	posts   map[string]*Post
	// indexed: the index is current, the posts are not read.
	indexed bool
}

// readRows starts reading the threads and best posts of bs into rows (the
// posts unless rows.indexed), both at once (each a few lookups by _id at a
// time), and returns a wait that ends when they are in and gives the first
// error. rows is not touched until then.
func (s *Store) readRows(ctx context.Context, bs []best, rows *pageRows) (wait func() error) {
	if len(bs) == 0 {
		return func() error { return nil }
	}
	tids := make([]string, len(bs))
	pids := make([]string, len(bs))
	for i, b := range bs {
		tids[i], pids[i] = b.thread, PostID(b.thread, b.n)
	}
	var threads map[string]*Thread
	var posts map[string]*Post
	var terr, perr error
	var both sync.WaitGroup
	both.Go(func() { threads, terr = s.ThreadsByID(ctx, tids) })
	if !rows.indexed {
		both.Go(func() { posts, perr = s.PostsByID(ctx, pids) })
	}
	return func() error {
		both.Wait()
		if err := errors.Join(terr, perr); err != nil {
			return err
		}
		for _, id := range tids {
			rows.threads[id] = threads[id]
		}
		if !rows.indexed {
			for _, id := range pids {
				rows.posts[id] = posts[id]
			}
		}
		return nil
	}
}

// locate asks the index again, for the chosen posts only, where the words
// matched and for their text. Locations in the ranking query made the index
// decode the positions of every candidate post (Limit*searchWindow of them,
// and every posting a broad word has) to keep those of at most Limit; the
// words' query restricted to the chosen posts' IDs gives them the same
// locations. The filters are not asked again: the IDs passed them (and the
// database decides what is shown), and the categories' clause, scored in
// a conjunction, was most of this query's cost.
func (s *Store) locate(ctx context.Context, wq query.Query, order []best) (map[string]*blevesearch.DocumentMatch, error) {
	ids := make([]string, len(order))
	for i, b := range order {
		ids[i] = b.hit.ID
	}
	q := bleve.NewConjunctionQuery(wq, bleve.NewDocIDQuery(ids))
	req := bleve.NewSearchRequestOptions(q, len(ids), 0, false)
	req.Fields = []string{fText}
	req.IncludeLocations = true
	res, err := s.index.Search(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("forum: search snippets: %w", err)
	}
	byID := make(map[string]*blevesearch.DocumentMatch, len(res.Hits))
	for _, h := range res.Hits {
		byID[h.ID] = h
	}
	return byID, nil
}

func term(field, value string) query.Query {
	q := bleve.NewTermQuery(value)
	q.SetField(field)
	return q
}

// textFields are the fields a word may match in, with their analysers'
// languages ("" folded).
var textFields = func() []string {
	out := []string{fTitle, fText}
	for _, l := range search.Languages {
		out = append(out, langField(fTitle, l), langField(fText, l))
	}
	return out
}()

// wordsQuery requires every group of the query: the words typed in any
// field and language, or one of the concept's terms in its own language
// (unless typedOnly).
func (s *Store) wordsQuery(gq glossary.Query, typedOnly bool) query.Query {
	var groups []query.Query
	last := len(gq.Words) - 1
	i := 0 // groups hold the query's words in order
	for _, g := range gq.Groups() {
		var typed []query.Query
		for range g.Clauses {
			typed = append(typed, s.wordQuery(gq.Words[i], i == last, 1))
			i++
		}
		alts := []query.Query{search.And(typed...)}
		if g.Concept != nil && !typedOnly {
			for _, t := range s.neededTerms(gq.Words[i-len(g.Clauses):i], g.Concept.Terms) {
				alts = append(alts, s.termQuery(t))
			}
		}
		groups = append(groups, search.Or(alts...))
	}
	return search.And(groups...)
}

// neededTerms keeps of a concept's other terms those that can add a match
// to the typed words and to each other, as the index analyses them: most
// of a concept's ways of writing it (repair, repairs, repairable) are one
// stem, each a pass over the same postings. A term of a language whose
// stems include every typed word's is matched by the typed words already.
func (s *Store) neededTerms(words []string, terms []glossary.Term) []glossary.Term {
	covered := s.index.Covered(words, search.Languages, search.Analyzer)
	alts := make([]search.Alternative, len(terms))
	for i, t := range terms {
		key := ""
		if isLang(t.Lang) {
			key = t.Lang
		}
		alts[i] = search.Alternative{Key: key, Tokens: s.index.Tokens(search.Analyzer(key), t.Text)}
	}
	var out []glossary.Term
	for i, keep := range search.Needed(alts, covered) {
		if keep {
			out = append(out, terms[i])
		}
	}
	return out
}

// matchFields are the fields a typed word is looked up in: the stemmed
// ones. The folded copies are left out of it: a post's text is the same in
// every field, and a word found folded is found stemmed (the same token,
// stemmed alike), unless it were a stop word in all four languages; each
// field more is one more term reader per word, and one more copy of every
// matching post to merge (ten clauses and more also switch bleve to its
// slower heap disjunction). The folded fields serve the prefix and the
// snippets.
var matchFields = func() []string {
	var out []string
	for _, l := range search.Languages {
		out = append(out, langField(fTitle, l), langField(fText, l))
	}
	return out
}()

// wordQuery matches one typed word in any field; the last word also
// matches as the start of a longer word (the search field is typed into).
func (s *Store) wordQuery(w string, last bool, boost float64) query.Query {
	var alts []query.Query
	for _, f := range matchFields {
		b := boost
		if f == fTitle || len(f) > len(fTitle) && f[:len(fTitle)+1] == fTitle+"_" {
			b *= boostTitle
		}
		// Every match field is a language's (title_en, text_en, ...).
		alts = append(alts, s.index.Match(f, search.Analyzer(f[len(f)-2:]), w, b, false))
	}
	if last && len([]rune(w)) >= 3 {
		for _, f := range []string{fTitle, fText} {
			p := bleve.NewPrefixQuery(w)
			p.SetField(f)
			p.SetBoost(boost / 2)
			alts = append(alts, p)
		}
	}
	return bleve.NewDisjunctionQuery(alts...)
}

// termQuery matches a concept's term in its own language: all its words
// in the title or in the text, as the library matches them. Not as a
// phrase: a phrase reads the positions of every candidate post of every
// term of the concept (up to glossary.MaxTerms), most of the discussions'
// query cost for a broad concept.
func (s *Store) termQuery(t glossary.Term) query.Query {
	var alts []query.Query
	for _, f := range []string{langField(fTitle, t.Lang), langField(fText, t.Lang)} {
		lang := t.Lang
		if !isLang(t.Lang) {
			f, lang = fText, ""
		}
		alts = append(alts, s.index.Match(f, search.Analyzer(lang), t.Text, boostConcept, true))
	}
	return bleve.NewDisjunctionQuery(alts...)
}

func isLang(l string) bool {
	for _, x := range search.Languages {
		if x == l {
			return true
		}
	}
	return false
}

// via returns the concepts a hit needed: those of groups whose typed
// words are not all among the hit's matched terms.
func (s *Store) via(gq glossary.Query, locs blevesearch.FieldTermLocationMap) []string {
	if !gq.Expanded() {
		return nil
	}
	m := s.index.Mapping()
	var out []string
	i := 0
	for _, g := range gq.Groups() {
		ws := gq.Words[i : i+len(g.Clauses)]
		i += len(g.Clauses)
		if g.Concept == nil || len(g.Concept.Terms) == 0 {
			continue
		}
		direct := true
		for _, w := range ws {
			found := false
			for _, f := range textFields {
				terms := locs[f]
				if len(terms) == 0 {
					continue
				}
				lang := ""
				if len(f) > 3 && f[len(f)-3] == '_' {
					lang = f[len(f)-2:]
				}
				a := m.AnalyzerNamed(search.Analyzer(lang))
				if a == nil {
					continue
				}
				for _, tok := range a.Analyze([]byte(w)) {
					if _, ok := terms[string(tok.Term)]; ok {
						found = true
					}
				}
				// The last word may have matched as a prefix.
				for t := range terms {
					if lang == "" && len(t) > len(w) && t[:len(w)] == w {
						found = true
					}
				}
			}
			direct = direct && found
		}
		if !direct {
			out = appendNew(out, g.Concept.Concept.ID)
		}
	}
	return out
}

// textSpans returns the byte spans of the matched words in the stored
// text: every text field indexes the same string, so their offsets agree.
func textSpans(locs blevesearch.FieldTermLocationMap) []search.Span {
	var out []search.Span
	for f, terms := range locs {
		if f != fText && (len(f) <= len(fText) || f[:len(fText)+1] != fText+"_") {
			continue
		}
		for _, ls := range terms {
			for _, l := range ls {
				out = append(out, search.Span{Start: int(l.Start), End: int(l.End)})
			}
		}
	}
	return out
}

func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		found := false
		for _, x := range list {
			found = found || x == v
		}
		if !found {
			list = append(list, v)
		}
	}
	return list
}
