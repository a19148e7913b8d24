package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
)

// ColClaims holds claim documents: one per thing that must happen once
// across every server sharing the database (a reminder sent, a digest
// mailed). See "Correct with several replicas" in docs/architecture.md.
const ColClaims = "claims"

type claimDoc struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

// Claim inserts the claim document id and reports whether this caller made
// it. The unique _id decides: of any number of servers claiming id at the
// same moment exactly one gets true, on MongoDB and on the embedded
// FerretDB alike (FerretDB applies even conditional updates read-then-
// write, but an insert with a taken _id always fails).
func Claim(ctx context.Context, db *mongo.Database, id string, at time.Time) (bool, error) {
	_, err := db.Collection(ColClaims).InsertOne(ctx, claimDoc{ID: id, At: at})
	if err == nil {
		return true, nil
	}
	if IsDuplicateKey(err) {
		return false, nil
	}
	return false, fmt.Errorf("store: claim %s: %w", id, err)
}

// ClaimLease claims key for work that is retried if its holder stops: a
// claim older than ttl is stale, and the next generation of the key
// (key#1, key#2, …) can then be claimed, again by exactly one caller. It
// returns the claimed document's id (for Release) and whether this caller
// holds the lease. A holder must finish within ttl, or Renew its claim
// before ttl has passed since the last time it wrote.
//
// Stale generations are never deleted (Release deletes only a claim its
// holder still holds): while a later generation might be held, deleting an
// earlier one would let a new caller claim it beside that holder, because
// a caller takes the first generation it can insert. So a key keeps one
// document per holder that stopped or lost its lease, read past by each
// later claim: bounded by the crashes, not by the uses.
func ClaimLease(ctx context.Context, db *mongo.Database, key string, now time.Time, ttl time.Duration) (string, bool, error) {
	col := db.Collection(ColClaims)
	for gen, tries := 0, 0; gen < 1000 && tries < 2000; gen, tries = gen+1, tries+1 {
		id := fmt.Sprintf("%s#%d", key, gen)
		ok, err := Claim(ctx, db, id, now)
		if err != nil || ok {
			return id, ok, err
		}
		var c claimDoc
		if err := col.FindOne(ctx, bson.M{"_id": id}).Decode(&c); err != nil {
			if IsNoDocuments(err) { // released meanwhile: try this generation again
				gen--
				continue
			}
			return "", false, fmt.Errorf("store: claim %s: %w", id, err)
		}
		if now.Sub(c.At) < ttl {
			return "", false, nil
		}
	}
	return "", false, fmt.Errorf("store: claim %s: too many stale generations", key)
}

// Renew moves the time of a claim this caller holds from prev (the time it
// last wrote there) to at, so that its lease runs from there; ok is false
// if the claim is gone or is no longer the one written at prev (deleted
// and claimed again by another caller). Only the claim's holder may renew
// it: the claim document is then written by one caller only, and a renewal
// (read-then-write on the embedded database) races no other writer. Times
// are stored to the millisecond: pass prev as it was stored.
func Renew(ctx context.Context, db *mongo.Database, id string, prev, at time.Time) (bool, error) {
	res, err := db.Collection(ColClaims).UpdateOne(ctx, bson.M{"_id": id, "at": prev}, bson.M{"$set": bson.M{"at": at}})
	if err != nil {
		return false, fmt.Errorf("store: renew %s: %w", id, err)
	}
	return res.MatchedCount == 1, nil
}

// Release deletes a claim this caller holds (by its exact id), so that the
// work it guarded can be claimed again, for example after a failed send.
func Release(ctx context.Context, db *mongo.Database, id string) error {
	if _, err := db.Collection(ColClaims).DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("store: release %s: %w", id, err)
	}
	return nil
}

// PruneClaims deletes the claims whose _id starts with prefix and that were
// made before before, and returns how many. Only for claims whose work can
// no longer be claimed again (a digest period long past): a deleted claim
// could otherwise be made a second time. Every server may run it; it reads
// the whole claims collection on the embedded database, so run it rarely.
func PruneClaims(ctx context.Context, db *mongo.Database, prefix string, before time.Time) (int64, error) {
	res, err := db.Collection(ColClaims).DeleteMany(ctx, bson.M{
		"_id": bson.M{"$regex": "^" + regexp.QuoteMeta(prefix)}, "at": bson.M{"$lt": before}})
	if err != nil {
		return 0, fmt.Errorf("store: prune claims: %w", err)
	}
	return res.DeletedCount, nil
}
