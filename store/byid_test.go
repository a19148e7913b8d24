package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

type thing struct {
	ID   string `bson:"_id"`
	N    int    `bson:"n"`
	Note string `bson:"note,omitempty"`
}

// TestFindByIDs: both ways return the same documents in the order asked,
// each once, without the missing ones, with the projection applied; one by
// one, every find names a single _id (the only filter the embedded
// database answers from an index), never a $in.
func TestFindByIDs(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	var mu sync.Mutex
	var filters []bson.Raw
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName == "find" {
			mu.Lock()
			filters = append(filters, e.Command.Lookup("filter").Document())
			mu.Unlock()
		}
	}}
	mc, err := store.Connect(ctx, st.URI, time.Minute, func(o *options.ClientOptions) { o.SetMonitor(mon) })
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Disconnect(ctx)
	col := st.WithClient(mc, st.DB.Name()).DB.Collection("things")
	var docs []any
	for i := 0; i < 30; i++ {
		docs = append(docs, thing{ID: fmt.Sprintf("t%02d", i), N: i, Note: "secret"})
	}
	if _, err := col.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	ids := []string{"t07", "t03", "missing", "t29", "t03", "t00"}
	for _, oneByOne := range []bool{false, true} {
		t.Run(fmt.Sprintf("oneByOne=%v", oneByOne), func(t *testing.T) {
			mu.Lock()
			filters = nil
			mu.Unlock()
			got, err := store.FindByIDs[thing](ctx, col, ids, bson.M{"note": 0}, oneByOne)
			if err != nil {
				t.Fatal(err)
			}
			want := []thing{{ID: "t07", N: 7}, {ID: "t03", N: 3}, {ID: "t29", N: 29}, {ID: "t00", N: 0}}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			mu.Lock()
			defer mu.Unlock()
			if !oneByOne {
				if len(filters) != 1 {
					t.Fatalf("%d finds, want one $in", len(filters))
				}
				return
			}
			if len(filters) != 5 {
				t.Fatalf("%d finds for 5 distinct ids", len(filters))
			}
			for _, f := range filters {
				els, _ := f.Elements()
				if len(els) != 1 || els[0].Key() != "_id" || els[0].Value().Type != bson.TypeString {
					t.Fatalf("filter %v: want exactly {_id: <string>}", f)
				}
			}
		})
	}
	if got, err := store.FindByIDs[thing](ctx, col, nil, nil, true); err != nil || len(got) != 0 {
		t.Fatalf("no ids: %v, %v", got, err)
	}
}
