package search

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
)

// DefaultShards is the shard count of a new index when Options.Shards is
// zero. A search runs on one core per shard, and bleve searches the shards
// of an alias in goroutines: two shards let one query use both cores of a
// small server, which is what the portal's latency targets are set on.
// More than the cores gains nothing and costs a merge per query. An
// existing index keeps its count (Options.Shards zero), so that moving a
// data directory to a machine with more cores does not rebuild it.
const DefaultShards = 2

// MaxShards bounds PORTAL_SEARCH_SHARDS: past the cores of any server the
// portal targets, each shard is only more files and a longer merge.
const MaxShards = 64

var (
	// errOtherLayout: the shards on disk are of another mapping version or
	// shard count, or one is missing (a layout written half-way).
	errOtherLayout = errors.New("search: index of another layout")
	// errNoIndex: nothing to open yet.
	errNoIndex = errors.New("search: no index")
)

// shardDir is the directory of shard i under dir.
func shardDir(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("shard-%d", i)) }

// shardsOnDisk is the shard count of the layout in dir (one past the
// highest shard-N directory), 0 when there is none.
func shardsOnDisk(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "shard-")
		if !ok || !e.IsDir() {
			continue
		}
		if i, err := strconv.Atoi(rest); err == nil && i >= 0 && i+1 > n {
			n = i + 1
		}
	}
	return n
}

// layoutVersion is what shard i of n records as its version: the mapping's
// and its place in the layout, so that an index of another shard count, or
// a shard from another layout, is rebuilt like one of another mapping.
func layoutVersion(version string, i, n int) string {
	return fmt.Sprintf("%s shard:%d/%d", version, i, n)
}

// openShards opens the n shards in dir, each checked against version. They
// open in order, shard 0 first, so a directory held by a running server is
// refused (ErrLocked) before anything else is looked at.
func openShards(dir string, n int, version string) ([]bleve.Index, error) {
	have := shardsOnDisk(dir)
	if have == 0 {
		return nil, errNoIndex
	}
	var out []bleve.Index
	fail := func(err error) ([]bleve.Index, error) {
		closeAll(out)
		return nil, err
	}
	for i := 0; i < have; i++ {
		idx, err := bleve.OpenUsing(shardDir(dir, i), storeConfig())
		switch {
		case isLocked(err):
			return fail(ErrLocked)
		case errors.Is(err, bleve.ErrorIndexPathDoesNotExist):
			return fail(fmt.Errorf("%w: shard %d of %d missing", errOtherLayout, i, have))
		case err != nil:
			return fail(fmt.Errorf("shard %d: %w", i, err))
		}
		out = append(out, idx)
		v, err := idx.GetInternal(keyMapping)
		if err != nil || string(v) != layoutVersion(version, i, n) {
			return fail(fmt.Errorf("%w: shard %d is %q", errOtherLayout, i, v))
		}
	}
	if have != n {
		return fail(fmt.Errorf("%w: %d shards, want %d", errOtherLayout, have, n))
	}
	return out, nil
}

// createShards makes n empty shards in dir, each recording its version.
func createShards(dir string, n int, newMapping func() (*mapping.IndexMappingImpl, error), version string) ([]bleve.Index, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	var out []bleve.Index
	for i := 0; i < n; i++ {
		m, err := newMapping()
		if err != nil {
			closeAll(out)
			return nil, err
		}
		idx, err := bleve.NewUsing(shardDir(dir, i), m, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, storeConfig())
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("search: create index: %w", err)
		}
		out = append(out, idx)
		if err := idx.SetInternal(keyMapping, []byte(layoutVersion(version, i, n))); err != nil {
			closeAll(out)
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	return out, nil
}

func closeAll(shards []bleve.Index) {
	for _, s := range shards {
		_ = s.Close()
	}
}

// setShards makes shards the index's, searched through one alias.
func (ix *Index) setShards(shards []bleve.Index) {
	ix.shards = shards
	ix.alias = bleve.NewIndexAlias(shards...)
}

// Shards is the number of shards the index is split into.
func (ix *Index) Shards() int { return len(ix.shards) }

// shardOf is the shard a document lives in: FNV-1a of its index ID, so the
// same document always goes to the same shard and the shards fill evenly.
func (ix *Index) shardOf(docID string) int {
	if len(ix.shards) == 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(docID))
	return int(h.Sum32() % uint32(len(ix.shards)))
}

func (ix *Index) shardFor(docID string) bleve.Index { return ix.shards[ix.shardOf(docID)] }

// Mapping is the index's mapping (every shard has the same): for analysing
// text as the index does.
func (ix *Index) Mapping() mapping.IndexMapping { return ix.shards[0].Mapping() }

// FieldTerms are the terms of field's dictionary over all shards, sorted.
func (ix *Index) FieldTerms(field string) ([]string, error) {
	seen := map[string]bool{}
	for _, s := range ix.shards {
		d, err := s.FieldDict(field)
		if err != nil {
			return nil, fmt.Errorf("search: terms of %s: %w", field, err)
		}
		for {
			e, err := d.Next()
			if err != nil {
				_ = d.Close()
				return nil, fmt.Errorf("search: terms of %s: %w", field, err)
			}
			if e == nil {
				break
			}
			seen[e.Term] = true
		}
		if err := d.Close(); err != nil {
			return nil, fmt.Errorf("search: terms of %s: %w", field, err)
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}
