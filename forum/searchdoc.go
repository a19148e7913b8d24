package forum

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
	"golang.org/x/net/html"
)

// SearchDoc is what the search index holds of one post. A post carries its
// thread's fields (category, group, tags, state), so every filter and every
// snippet is answered by one document; the opening post also carries the
// thread's title, so a thread matches when its title, tags and opening
// post together contain the words, as one post does.
type SearchDoc struct {
	ID         string // the post's ID
	ThreadID   string
	N          int
	CategoryID string
	GroupID    string
	AuthorID   string
	Title      string // opening post only
	Tags       []string
	Text       string // the post's words without Markdown
	Question   bool
	Solved     bool
	CreatedAt  time.Time
	LastPostAt time.Time // the thread's latest activity, for recency
	// Stamp is the later of the post's and the thread's UpdatedAt: the
	// index compares it to catch up.
	Stamp time.Time
}

// Searchable reports whether a post's words may be searched at all. Held
// threads and held, hidden or deleted posts are left out of the index
// entirely (as the discussions search always left them out), so no
// snippet can come from them whoever asks.
func searchable(t *Thread, p *Post) bool { return !t.Held && p.Visible() }

func searchDoc(t *Thread, p *Post) *SearchDoc {
	d := &SearchDoc{ID: p.ID, ThreadID: t.ID, N: p.N, CategoryID: t.CategoryID, GroupID: t.GroupID, AuthorID: p.AuthorID,
		Tags: t.Tags, Text: PlainText(p.HTML), Question: t.Kind == KindQuestion, Solved: t.Solved(),
		CreatedAt: p.CreatedAt, LastPostAt: t.LastPostAt, Stamp: p.UpdatedAt}
	if t.UpdatedAt.After(d.Stamp) {
		d.Stamp = t.UpdatedAt
	}
	if p.N == 1 {
		d.Title = t.Title
	}
	return d
}

// SearchDoc returns the index document of a post, or ErrNotFound when the
// post is gone or not searchable (the index then drops it).
func (s *Store) SearchDoc(ctx context.Context, postID string) (*SearchDoc, error) {
	var p Post
	if err := s.findOne(ctx, colPosts, bson.M{"_id": postID}, &p); err != nil {
		return nil, err
	}
	var t Thread
	if err := s.findOne(ctx, colThreads, bson.M{"_id": p.ThreadID}, &t); err != nil {
		return nil, err
	}
	if !searchable(&t, &p) {
		return nil, ErrNotFound
	}
	return searchDoc(&t, &p), nil
}

// SearchDocs calls fn with the document of every searchable post, for a
// rebuild or a catch-up: two sequential reads (threads, then posts).
func (s *Store) SearchDocs(ctx context.Context, fn func(*SearchDoc) error) error {
	return s.searchDocs(ctx, bson.M{"history": 0, "body": 0, "reactions": 0}, fn)
}

// stampProjection is what deciding searchability and the stamp needs: a
// catch-up at start-up compares every post's stamp without reading its text.
var stampProjection = bson.M{"thread_id": 1, "n": 1, "held": 1, "hidden": 1, "deleted": 1, "updated_at": 1}

func (s *Store) searchDocs(ctx context.Context, projection bson.M, fn func(*SearchDoc) error) error {
	var ts []*Thread
	if err := s.findAll(ctx, colThreads, bson.M{}, nil, &ts); err != nil {
		return err
	}
	threads := make(map[string]*Thread, len(ts))
	for _, t := range ts {
		threads[t.ID] = t
	}
	cur, err := s.col(colPosts).Find(ctx, bson.M{}, options.Find().SetProjection(projection))
	if err != nil {
		return fmt.Errorf("forum: search docs: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var p Post
		if err := cur.Decode(&p); err != nil {
			return fmt.Errorf("forum: search docs: %w", err)
		}
		t := threads[p.ThreadID]
		if t == nil || !searchable(t, &p) {
			continue
		}
		if err := fn(searchDoc(t, &p)); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("forum: search docs: %w", err)
	}
	return nil
}

// PlainText returns the words of a post's rendered (sanitised) HTML, with
// its Markdown syntax gone, for the index and its snippets.
func PlainText(h string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(h))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			b.WriteByte(' ') // blocks and line breaks separate words
		}
	}
}
