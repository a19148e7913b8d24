package app

import (
	"context"
	"time"

	"github.com/circularfairict/portal/backup"
	"github.com/circularfairict/portal/store"
)

// sweepLoop deletes expired sessions, sign-in attempts and rate-limit
// windows periodically (FerretDB has no TTL indexes, so expiry is an
// app-side sweep), indexes the embedded database's collections created
// since the last pass, sends digests and reminders, catches the search
// index up, and once a day prunes old claims and repairs the lists that
// pages read by _id (a member's groups, registrations, the schedule). It returns when ctx ends,
// after the pass in flight: each pass has its own deadline, so that
// stopping never cuts a digest between its claim and its mail.
func (a *App) sweepLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	a.sweepPass()
	close(a.swept)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.sweepPass()
	}
}

// sweepPass is one pass of the sweeper.
func (a *App) sweepPass() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n, err := a.auth.SweepSessions(ctx); err != nil {
		a.log.Warn("session sweep failed", "err", err)
	} else if n > 0 {
		a.log.Info("expired sessions removed", "count", n)
	}
	if n, err := a.auth.SweepSigninAttempts(ctx); err != nil {
		a.log.Warn("sign-in attempt sweep failed", "err", err)
	} else if n > 0 {
		a.log.Info("expired sign-in attempts removed", "count", n)
	}
	if n, err := store.SweepWindows(ctx, a.store.DB, time.Now()); err != nil {
		a.log.Warn("rate limit sweep failed", "err", err)
	} else if n > 0 {
		a.log.Debug("ended rate limit windows removed", "hits", n)
	}
	if err := a.store.IndexIDLookups(ctx); err != nil {
		a.log.Warn("embedded database: _id lookup index", "err", err)
	}
	a.SendDigests(ctx)
	a.SendReminders(ctx)
	a.catchUpSearch()
	if time.Since(a.prunedAt) > 24*time.Hour {
		// Slot claims of backups older than a week: their slots are
		// long past, and the schedule only ever claims the next one.
		if _, err := store.PruneClaims(ctx, a.store.DB, backup.SlotClaimPrefix, time.Now().UTC().Add(-7*24*time.Hour)); err != nil {
			a.log.Warn("backup slot claims: prune", "err", err)
		}
		// Lists read by _id that a replica of an older release, or a
		// server stopped between two writes, left behind their truth.
		if n, err := a.auth.RepairMemberGroups(ctx); err != nil {
			a.log.Warn("member groups: repair", "err", err)
		} else if n > 0 {
			a.log.Info("member groups: repaired", "entries", n)
		}
		if n, err := a.workshops.RepairLists(ctx); err != nil {
			a.log.Warn("workshop lists: repair", "err", err)
		} else if n > 0 {
			a.log.Info("workshop lists: repaired", "entries", n)
		}
		if n, err := a.lib.RepairMarkLists(ctx); err != nil {
			a.log.Warn("resource mark lists: repair", "err", err)
		} else if n > 0 {
			a.log.Info("resource mark lists: repaired", "entries", n)
		}
		if _, err := a.forum.PruneDigestClaims(ctx, time.Now().UTC()); err != nil {
			a.log.Warn("digest claims: prune", "err", err)
		} else {
			a.prunedAt = time.Now()
		}
	}
}
