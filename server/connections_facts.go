package server

import (
	"context"
	"sync"
	"time"

	"github.com/circularfairict/portal/auth"
)

// sharedFacts holds the facts that every connection bound to one workshop
// re-checks alike (the workshop's facilitators and group), so that the
// sockets of a busy room read them once per reuse period between them
// rather than once each. A fact is read at most once at a time (the others
// wait for it), is reused for at most the reuse the caller gives, and
// every end or recheck call of the registry (this server's own and those
// heard on the bus) forgets them all: a change of rights made through
// the portal is never answered from them.
type sharedFacts struct {
	mu sync.Mutex
	m  map[string]*sharedFact
}

type sharedFact struct {
	ready chan struct{} // closed once read
	at    time.Time     // when it was read
	acc   auth.WorkshopAccess
	err   error
}

// get returns the workshop's facts read within reuse, reading them with
// load if there are none.
func (f *sharedFacts) get(ctx context.Context, workshop string, reuse time.Duration, load func(context.Context, string) (auth.WorkshopAccess, error)) (*sharedFact, error) {
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]*sharedFact{}
	}
	e := f.m[workshop]
	if e != nil {
		select {
		case <-e.ready:
			if e.err != nil || time.Since(e.at) >= reuse {
				e = nil // stale or failed: read again
			}
		default: // being read: wait for it below
		}
	}
	if e == nil {
		e = &sharedFact{ready: make(chan struct{})}
		f.m[workshop] = e
		f.mu.Unlock()
		e.at = time.Now()
		e.acc, e.err = load(ctx, workshop)
		close(e.ready)
	} else {
		f.mu.Unlock()
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if e.err != nil {
		return nil, e.err
	}
	return e, nil
}

// forget drops every fact: the next check reads them again.
func (f *sharedFacts) forget() {
	f.mu.Lock()
	f.m = nil
	f.mu.Unlock()
}
