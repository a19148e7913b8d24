// Package relevance holds a fixed search test set for the library: a corpus
// of short documents in English, French, Dutch and German (testdata/
// corpus.json, used with the demo library) and queries in the four
// languages, each with the resources that must appear in the first five
// results (testdata/queries.json). It measures recall@k and MRR for any
// search function, so every search engine the portal uses is judged on the
// same set; it knows nothing about storage.
package relevance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DemoPrefix marks a judgement that names a demo library resource by its
// key ("demo:laptop-spec") rather than a corpus document.
const DemoPrefix = "demo:"

// Doc is one corpus document with the metadata a library resource needs.
type Doc struct {
	Key        string   `json:"key"`
	Languages  []string `json:"languages"`
	Type       string   `json:"type"`
	Stages     []string `json:"stages"`
	Products   []string `json:"products"`
	Themes     []string `json:"themes"`
	Frameworks []string `json:"frameworks"`
	Title      string   `json:"title"`
	Summary    string   `json:"summary"`
	Text       string   `json:"text"`
}

// Query is what a reader typed, in which language, and the keys of the
// resources that must appear among the first results.
type Query struct {
	Q        string   `json:"q"`
	Lang     string   `json:"lang"`
	Relevant []string `json:"relevant"`
}

// Set is the corpus and the queries.
type Set struct {
	Docs    []Doc
	Queries []Query
}

// Load reads corpus.json and queries.json from dir and checks that every
// judgement names a corpus document or a demo resource.
func Load(dir string) (*Set, error) {
	var s Set
	for name, v := range map[string]any{"corpus.json": &s.Docs, "queries.json": &s.Queries} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("relevance: %w", err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("relevance: %s: %w", name, err)
		}
	}
	keys := map[string]bool{}
	for _, d := range s.Docs {
		if d.Key == "" || keys[d.Key] || strings.HasPrefix(d.Key, DemoPrefix) {
			return nil, fmt.Errorf("relevance: corpus key %q missing, repeated or reserved", d.Key)
		}
		keys[d.Key] = true
	}
	for _, q := range s.Queries {
		if q.Q == "" || q.Lang == "" || len(q.Relevant) == 0 {
			return nil, fmt.Errorf("relevance: query %q lacks text, language or judgements", q.Q)
		}
		for _, k := range q.Relevant {
			if !keys[k] && !strings.HasPrefix(k, DemoPrefix) {
				return nil, fmt.Errorf("relevance: query %q names unknown document %q", q.Q, k)
			}
		}
	}
	return &s, nil
}

// CrossLanguage reports whether a relevant resource of q is written in none
// of q's language, given each resource's languages by key.
func CrossLanguage(q Query, langs map[string][]string) bool {
	for _, k := range q.Relevant {
		found := false
		for _, l := range langs[k] {
			found = found || l == q.Lang
		}
		if !found {
			return true
		}
	}
	return false
}

// Outcome is one query's result.
type Outcome struct {
	Query   Query
	Got     []string // keys of the results, best first
	Missing []string // relevant keys not among the first k
	Recall  float64  // share of the relevant keys among the first k
	RR      float64  // 1 / rank of the first relevant result, 0 when none
}

// Report sums up a run.
type Report struct {
	K        int
	Outcomes []Outcome
	RecallK  float64 // mean recall@k over the queries
	MRR      float64 // mean reciprocal rank
}

// Evaluate runs every query through search, which returns result keys best
// first, and scores the first k.
func Evaluate(s *Set, k int, search func(Query) ([]string, error)) (*Report, error) {
	r := &Report{K: k}
	for _, q := range s.Queries {
		got, err := search(q)
		if err != nil {
			return nil, fmt.Errorf("relevance: %q: %w", q.Q, err)
		}
		o := Outcome{Query: q, Got: got}
		top := got
		if len(top) > k {
			top = top[:k]
		}
		for _, want := range q.Relevant {
			if !contains(top, want) {
				o.Missing = append(o.Missing, want)
			}
		}
		o.Recall = float64(len(q.Relevant)-len(o.Missing)) / float64(len(q.Relevant))
		for i, g := range got {
			if contains(q.Relevant, g) {
				o.RR = 1 / float64(i+1)
				break
			}
		}
		r.RecallK += o.Recall
		r.MRR += o.RR
		r.Outcomes = append(r.Outcomes, o)
	}
	if n := float64(len(r.Outcomes)); n > 0 {
		r.RecallK /= n
		r.MRR /= n
	}
	return r, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
