package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/auth"
)

// Both replicas restart one after the other (SIGTERM, start again) while
// members talk in a room and upload files. Clients do what the protocol
// and the API ask: reconnect with last_seq and resend what was not
// acknowledged, retry an upload with its Idempotency-Key. Every
// acknowledged message is in the room exactly once, every acknowledged
// upload is there once and downloads byte-identical.
func TestRollingRestartLosesNoAcknowledgedWrite(t *testing.T) {
	c := newCluster(t, map[string]string{"PORTAL_SHUTDOWN_GRACE": "5s"})
	w := c.newWorkshop("Rolling restart")
	rcs := c.joinBoth(w, 4)
	var stop atomic.Bool
	var wg sync.WaitGroup

	roomKeys := make([][]string, len(rcs))
	for i, rc := range rcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; !stop.Load(); round++ {
				keys := []string{fmt.Sprintf("roll-%d-%d-a", i, round), fmt.Sprintf("roll-%d-%d-b", i, round)}
				rc.ensure(keys, 90*time.Second)
				roomKeys[i] = append(roomKeys[i], keys...)
			}
		}()
	}

	type upload struct {
		id   string
		data []byte
	}
	var mu sync.Mutex
	var uploads []upload
	var retries atomic.Int64
	uploadErrs := make(chan error, 8)
	for u := range 2 {
		cl := c.signIn(c.member(fmt.Sprintf("Uma Uploader %d", u), auth.RoleMember))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				data := bytes.Repeat([]byte(fmt.Sprintf("uploader %d file %d: a line of a tender annex\n", u, n)), 2000)
				key := fmt.Sprintf("roll-upload-%d-%d", u, n)
				// A failed attempt (a replica went away with the request)
				// is retried with the same key until it is acknowledged.
				for try := 0; ; try++ {
					if try == 200 {
						uploadErrs <- fmt.Errorf("upload %s never acknowledged", key)
						return
					}
					res, err := cl.upload(key, key+".txt", data, key)
					if err == nil && (res.StatusCode == http.StatusCreated || res.StatusCode == http.StatusOK) {
						var r struct {
							ID string `json:"id"`
						}
						if err := json.Unmarshal(res.body, &r); err != nil {
							uploadErrs <- err
							return
						}
						mu.Lock()
						uploads = append(uploads, upload{r.ID, data})
						mu.Unlock()
						// Paced: each check below reads a file back, which
						// on the embedded database scans every stored chunk.
						time.Sleep(300 * time.Millisecond)
						break
					}
					if err == nil && res.StatusCode < 500 {
						uploadErrs <- fmt.Errorf("upload %s: %d %s", key, res.StatusCode, res.body)
						return
					}
					retries.Add(1)
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}

	time.Sleep(time.Second)
	for _, r := range []string{"a", "b"} {
		at := time.Now()
		c.stop(r)
		stopped := time.Since(at)
		time.Sleep(500 * time.Millisecond) // traffic runs on the other alone
		at = time.Now()
		c.start(r)
		t.Logf("portal-%s stopped in %s, started in %s", r, stopped.Round(time.Millisecond), time.Since(at).Round(time.Millisecond))
		// The proxy takes a replica back fail_timeout (1 s) after its
		// last refused connection (deploy/nginx-portal.conf.template).
		time.Sleep(1500 * time.Millisecond)
	}
	stop.Store(true)
	at := time.Now()
	wg.Wait()
	t.Logf("traffic ended in %s", time.Since(at).Round(time.Millisecond))
	close(uploadErrs)
	for err := range uploadErrs {
		t.Fatal(err)
	}

	var keys []string
	for _, ks := range roomKeys {
		keys = append(keys, ks...)
	}
	top := maxAck(rcs)
	for _, rc := range rcs {
		rc.waitSeq(top, 30*time.Second)
	}
	sameStream(t, rcs, keys)
	if n := len(keys); n < 8 {
		t.Fatalf("only %d messages acknowledged during the restarts", n)
	}

	ctx := context.Background()
	member := c.signIn(c.member("Vera Verifier", auth.RoleMember))
	for _, u := range uploads {
		got := member.do("GET", "/api/v1/resources/"+u.id+"/file", nil, nil)
		if got.StatusCode != http.StatusOK || !bytes.Equal(got.body, u.data) {
			t.Fatalf("acknowledged upload %s: status %d, identical %v", u.id, got.StatusCode, bytes.Equal(got.body, u.data))
		}
	}
	// Retried uploads were stored once each: one resource per key (the
	// title is the key).
	cur, err := c.store.DB.Collection("resources").Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"title": 1}))
	if err != nil {
		t.Fatal(err)
	}
	var stored []struct {
		Title string `bson:"title"`
	}
	if err := cur.All(ctx, &stored); err != nil {
		t.Fatal(err)
	}
	titles := map[string]int{}
	for _, r := range stored {
		titles[r.Title]++
	}
	for title, n := range titles {
		if n != 1 {
			t.Fatalf("upload %q stored %d times", title, n)
		}
	}
	if len(stored) != len(uploads) {
		t.Fatalf("%d resources stored for %d acknowledged uploads", len(stored), len(uploads))
	}
	reconns := 0
	for _, rc := range rcs {
		reconns += rc.reconns
	}
	if reconns < 2 {
		t.Fatalf("%d reconnections: the restarts ended no socket", reconns)
	}
	t.Logf("%d messages and %d uploads acknowledged across the rolling restart, after %d room reconnections and %d upload retries",
		len(keys), len(uploads), reconns, retries.Load())
}
