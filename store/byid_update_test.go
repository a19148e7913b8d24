package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// Both ways update or delete only a document that has the _id and matches
// the condition, and say so through the counts.
func TestUpdateAndDeleteByIDIf(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	for _, byID := range []bool{false, true} {
		t.Run(fmt.Sprintf("byID=%v", byID), func(t *testing.T) {
			col := st.DB.Collection(fmt.Sprintf("cond_%v", byID))
			if _, err := col.InsertMany(ctx, []any{
				bson.M{"_id": "a", "status": "queued", "n": 1},
				bson.M{"_id": "b", "status": "sent", "n": 1},
			}); err != nil {
				t.Fatal(err)
			}
			set := bson.M{"$set": bson.M{"status": "sending"}, "$inc": bson.M{"n": 1}}
			queued := bson.M{"status": bson.M{"$in": []string{"queued", "failed"}}}
			for _, c := range []struct {
				id   string
				want int64
			}{{"a", 1}, {"a", 0}, {"b", 0}, {"missing", 0}} {
				res, err := store.UpdateByIDIf(ctx, col, c.id, queued, set, byID)
				if err != nil || res.MatchedCount != c.want {
					t.Fatalf("update %s: matched %v (%v), want %d", c.id, res, err, c.want)
				}
			}
			var a struct {
				Status string `bson:"status"`
				N      int    `bson:"n"`
			}
			if err := col.FindOne(ctx, bson.M{"_id": "a"}).Decode(&a); err != nil || a.Status != "sending" || a.N != 2 {
				t.Fatalf("a is %+v (%v)", a, err)
			}
			if res, err := store.DeleteByIDIf(ctx, col, "b", bson.M{"status": "queued"}, byID); err != nil || res.DeletedCount != 0 {
				t.Fatalf("deleted b on a condition it does not meet: %v %v", res, err)
			}
			if res, err := store.DeleteByIDIf(ctx, col, "b", bson.M{"status": "sent"}, byID); err != nil || res.DeletedCount != 1 {
				t.Fatalf("did not delete b: %v %v", res, err)
			}
		})
	}
}

// TestMeasureUpdateByIDIf times a conditional update among n documents of
// about 1 KiB both ways, when PORTAL_MEASURE_CONDITIONAL_DOCS gives n:
//
//	PORTAL_MEASURE_CONDITIONAL_DOCS=20000 go test -count=1 -run TestMeasureUpdateByIDIf -v ./store/
func TestMeasureUpdateByIDIf(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PORTAL_MEASURE_CONDITIONAL_DOCS"))
	if n <= 0 {
		t.Skip("set PORTAL_MEASURE_CONDITIONAL_DOCS")
	}
	st := storetest.New(t)
	ctx := context.Background()
	col := st.DB.Collection("measure_cond")
	body := fmt.Sprintf("%01000d", 0)
	var docs []any
	for i := 0; i < n; i++ {
		docs = append(docs, bson.M{"_id": fmt.Sprintf("d%06d", i), "body": body, "v": 0})
		if len(docs) == 1000 || i == n-1 {
			if _, err := col.InsertMany(ctx, docs); err != nil {
				t.Fatal(err)
			}
			docs = nil
		}
	}
	if err := st.IndexIDLookups(ctx); err != nil {
		t.Fatal(err)
	}
	for _, byID := range []bool{false, true} {
		const runs = 20
		start := time.Now()
		for i := 0; i < runs; i++ {
			id := fmt.Sprintf("d%06d", i*(n/runs))
			res, err := store.UpdateByIDIf(ctx, col, id, bson.M{"v": 0}, bson.M{"$set": bson.M{"v": byID}}, byID)
			if err != nil || res.MatchedCount != 1 {
				t.Fatalf("%s: %v %v", id, res, err)
			}
			if _, err := col.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"v": 0}}); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("byID=%v: %v per conditional update among %d documents", byID, (time.Since(start) / runs).Round(time.Microsecond), n)
	}
}
