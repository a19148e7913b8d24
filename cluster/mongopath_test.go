package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
)

// The replicas take the MongoDB path, as in production: they open the
// database by MONGODB_URI (not embedded), with majority and journaled
// writes, create their indexes over the wire, and rebuild a live room
// from its stored events with the live store's query path (the embedded
// database reads them by _id instead). The database is `portal db serve`;
// what only a real MongoDB can prove is listed in docs/architecture.md.
func TestReplicasTakeTheMongoDBPath(t *testing.T) {
	c := newCluster(t, nil)
	ctx := context.Background()
	for _, r := range []string{"portal-a", "portal-b"} {
		var ready bool
		for _, line := range strings.Split(c.log(r), "\n") {
			if strings.Contains(line, `"msg":"portal ready"`) {
				ready = true
				if !strings.Contains(line, `"embedded_db":false`) {
					t.Fatalf("%s opened its database as embedded: %s", r, line)
				}
			}
		}
		if !ready {
			t.Fatalf("%s never said it was ready", r)
		}
	}
	// The harness opened the shared database the way the replicas do.
	if c.store.Embedded {
		t.Fatal("a store opened by URI reports an embedded database")
	}
	if wc := c.store.DB.WriteConcern(); wc == nil || wc.W != "majority" || wc.Journal == nil || !*wc.Journal {
		t.Fatalf("write concern %+v, want majority and journaled", wc)
	}
	// Indexes the replicas ensured over the wire, unique ones included.
	cur, err := c.store.DB.Collection("workshop_events").Indexes().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var idx []struct {
		Name   string `bson:"name"`
		Unique bool   `bson:"unique"`
	}
	if err := cur.All(ctx, &idx); err != nil {
		t.Fatal(err)
	}
	unique := map[string]bool{}
	for _, i := range idx {
		unique[i.Name] = i.Unique
	}
	if !unique["room_key"] || !unique["room_seq"] {
		t.Fatalf("workshop_events indexes: %+v", idx)
	}

	// A room both replicas forget (both restart) is rebuilt from what is
	// stored, by a query on (room, seq), and continues where it was.
	w := c.newWorkshop("Rebuilt room")
	rcs := c.joinBoth(w, 2)
	keys := talk(t, rcs, "stored", 3)
	top := maxAck(rcs)
	for _, rc := range rcs {
		rc.close()
	}
	c.restartBoth()
	if n, err := c.store.DB.Collection("workshop_events").CountDocuments(ctx, bson.M{"room": w}); err != nil || n < int64(len(keys)) {
		t.Fatalf("%d events stored for %d messages (%v)", n, len(keys), err)
	}
	late := c.joinBoth(w, 2)
	for _, rc := range late {
		rc.waitSeq(top, 10*time.Second)
	}
	more := talk(t, late, "after", 1)
	for _, rc := range late {
		rc.waitSeq(maxAck(late), 10*time.Second)
	}
	sameStream(t, late, more)
	if got := maxAck(late); got <= top {
		t.Fatalf("the rebuilt room numbered a new event %d, not after %d", got, top)
	}
	for _, rc := range late {
		rc.close()
	}
}
