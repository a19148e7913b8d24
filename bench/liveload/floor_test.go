package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The floor server broadcasts a chat frame to every client, in order, with
// the text intact: a smoke test of the tool's own parts, not a benchmark.
func TestFloorBroadcastsToFiveClients(t *testing.T) {
	h := newFloorHub()
	floorBroadcast(t, h)
}

// The durable floor stores every message before broadcasting it: once a
// client has all of them, all of them are in the file.
func TestDurableFloorStoresBeforeBroadcast(t *testing.T) {
	path := t.TempDir() + "/floor.db"
	db, save, err := openFloorStore(path)
	if err != nil {
		t.Fatal(err)
	}
	h := newFloorHub()
	h.save = save
	floorBroadcast(t, h)
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE type = 'chat'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if n != 3 {
		t.Fatalf("stored %d messages, want 3", n)
	}
	if got := countStored(path); got != 3 {
		t.Fatalf("countStored = %d", got)
	}
}

// The database floor stores every message in an embedded database of the
// portal's kind before broadcasting it.
func TestDatabaseFloorStoresBeforeBroadcast(t *testing.T) {
	dir := t.TempDir()
	st, save, err := openDatabaseFloor(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := newFloorHub()
	h.save = save
	floorBroadcast(t, h)
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := countStoredEmbedded(dir); got != 3 {
		t.Fatalf("countStoredEmbedded = %d, want 3", got)
	}
}

func floorBroadcast(t *testing.T, h *floorHub) {
	t.Helper()
	go h.run()
	srv := httptest.NewServer(nil)
	srv.Config.Handler = http.HandlerFunc(h.serveWS)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	d := &dialer{sources: 1}
	ctx := context.Background()
	recv, err := connect(ctx, d, target{name: "floor", url: url}, 5, true, false)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(recv)
	send, err := connect(ctx, d, target{name: "floor", url: url}, 1, false, false)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(send)
	time.Sleep(200 * time.Millisecond) // the hub registers after the handshake
	const n = 3
	for i := 0; i < n; i++ {
		b, _ := json.Marshal(map[string]any{"type": "chat", "text": chatText(i, time.Now())})
		if err := send[0].ws.WriteMessage(websocket.TextMessage, b); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, c := range recv {
		for c.rec.count(n) < n {
			if time.Now().After(deadline) {
				t.Fatalf("a client got %d of %d messages", c.rec.count(n), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	rs := make([]*receiver, len(recv))
	for i, c := range recv {
		rs[i] = c.rec
	}
	res := summarise("floor", rs, n, time.Second, 0)
	if res.Delivered != 5*n || res.Lost != 0 || res.Duplicated != 0 || res.Disordered != 0 {
		t.Fatalf("summary: %v", res)
	}
}

func TestChatTextRoundTrip(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	id, sent, ok := parseChatText(chatText(42, at))
	if !ok || id != 42 || sent != at.UnixNano() {
		t.Fatalf("parse: %d %d %v", id, sent, ok)
	}
	if _, _, ok := parseChatText("hello there"); ok {
		t.Fatal("parsed a text without the marker")
	}
}
