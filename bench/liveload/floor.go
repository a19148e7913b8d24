package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.mongodb.org/mongo-driver/bson"
	_ "modernc.org/sqlite" // the durable floor's store: the driver the embedded database uses

	"github.com/circularfairict/portal/store"
)

// The floor: the plainest broadcast server gorilla/websocket allows, to
// tell what this machine does with the same traffic and no portal. One hub
// goroutine, a reader and a writer goroutine per socket, a buffered queue
// per socket (a full queue drops the socket), each frame encoded once.

type floorConn struct {
	ws    *websocket.Conn
	send  chan []byte
	group string // the breakout scenario's group; only the hub touches it
}

// floorMsg is a client frame for the hub: chat and votes go to everyone,
// notes to the sender's group; join sets the sender's group.
type floorMsg struct {
	typ, group, text string
	from             *floorConn
}

type floorHub struct {
	join    chan *floorConn
	leave   chan *floorConn
	inbox   chan floorMsg
	conns   map[*floorConn]bool
	groups  map[string]map[*floorConn]bool
	seq     int64
	dropped atomic.Int64
	// save, when set, makes this a durable floor: each message is stored
	// (one insert, one commit) before it is broadcast, as the portal stores
	// a durable event before it sends it.
	save func(seq int64, typ, group, text string) error
}

func newFloorHub() *floorHub {
	return &floorHub{join: make(chan *floorConn), leave: make(chan *floorConn), inbox: make(chan floorMsg, 1024), conns: map[*floorConn]bool{},
		groups: map[string]map[*floorConn]bool{}}
}

// openFloorStore opens (creating) the durable floor's SQLite file in WAL
// mode with synchronous=FULL, so that a committed insert has reached the
// disk, and prepares the one insert the hub runs per message.
func openFloorStore(path string) (*sql.DB, func(int64, string, string, string) error, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, grp TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL)`); err != nil {
		db.Close()
		return nil, nil, err
	}
	st, err := db.Prepare(`INSERT INTO events (seq, type, grp, text, at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, func(seq int64, typ, group, text string) error {
		_, err := st.Exec(seq, typ, group, text, time.Now().UnixNano())
		return err
	}, nil
}

// openDatabaseFloor opens an embedded database of the portal's kind in dir
// (the store package, as the portal opens it) for the database floor: one
// insert per message through the driver, the path each durable room event
// takes when nothing else is queued behind it.
func openDatabaseFloor(dir string) (*store.Store, func(int64, string, string, string) error, error) {
	st, err := store.Open(context.Background(), store.Options{DataDir: dir, Owner: true})
	if err != nil {
		return nil, nil, err
	}
	events := st.DB.Collection("floor_events")
	return st, func(seq int64, typ, group, text string) error {
		_, err := events.InsertOne(context.Background(), bson.D{{Key: "_id", Value: fmt.Sprintf("floor/%d", seq)},
			{Key: "type", Value: typ}, {Key: "group", Value: group}, {Key: "text", Value: text}, {Key: "at", Value: time.Now().UTC()}})
		return err
	}, nil
}

func (h *floorHub) run() {
	for {
		select {
		case c := <-h.join:
			h.conns[c] = true
		case c := <-h.leave:
			if h.conns[c] {
				h.forget(c)
			}
		case m := <-h.inbox:
			if m.typ == "join" {
				if h.conns[m.from] {
					delete(h.groups[m.from.group], m.from)
					m.from.group = m.text
					if h.groups[m.text] == nil {
						h.groups[m.text] = map[*floorConn]bool{}
					}
					h.groups[m.text][m.from] = true
				}
				continue
			}
			h.seq++
			if h.save != nil {
				if err := h.save(h.seq, m.typ, m.group, m.text); err != nil {
					// A message that is not stored is not sent, as in the portal.
					fmt.Fprintln(os.Stderr, "floor: store:", err)
					h.seq--
					continue
				}
			}
			to := h.conns
			var b []byte
			switch m.typ {
			case "notes.op":
				to = h.groups[m.group]
				b, _ = json.Marshal(map[string]any{"type": "notes.op", "seq": h.seq, "doc": m.group, "rev": h.seq, "ops": []any{m.text}})
			case "vote":
				b, _ = json.Marshal(map[string]any{"type": "poll", "seq": h.seq, "poll": map[string]any{"id": "p", "state": "open", "total": h.seq}})
			default:
				b, _ = json.Marshal(chatFrame{Type: "chat", Seq: h.seq, Text: m.text})
			}
			for c := range to {
				select {
				case c.send <- b:
				default:
					h.dropped.Add(1)
					h.forget(c)
				}
			}
		}
	}
}

func (h *floorHub) forget(c *floorConn) {
	delete(h.conns, c)
	delete(h.groups[c.group], c)
	close(c.send)
}

var floorUpgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &sync.Pool{}}

func (h *floorHub) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := floorUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &floorConn{ws: ws, send: make(chan []byte, 256)}
	h.join <- c
	go func() { // writer
		defer ws.Close()
		for b := range c.send {
			_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if ws.WriteMessage(websocket.TextMessage, b) != nil {
				return
			}
		}
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4008, "too slow"), time.Now().Add(time.Second))
	}()
	ws.SetReadLimit(16 << 10)
	for { // reader
		_, b, err := ws.ReadMessage()
		if err != nil {
			break
		}
		var f struct{ Type, Text, Group string }
		if json.Unmarshal(b, &f) == nil {
			switch f.Type {
			case "chat", "notes.op", "vote":
				h.inbox <- floorMsg{typ: f.Type, group: f.Group, text: f.Text}
			case "join":
				h.inbox <- floorMsg{typ: "join", text: f.Group, from: c}
			}
		}
	}
	h.leave <- c
}

// serveFloor runs the floor server in this process until stdin closes; it
// prints its address first. /mem answers runtime memory after a GC. With
// a dbPath it is the durable floor, with a dbDir the database floor.
func serveFloor(addr, dbPath, dbDir string) error {
	h := newFloorHub()
	switch {
	case dbPath != "":
		db, save, err := openFloorStore(dbPath)
		if err != nil {
			return err
		}
		defer db.Close()
		h.save = save
	case dbDir != "":
		st, save, err := openDatabaseFloor(dbDir)
		if err != nil {
			return err
		}
		h.save = save
		// Stopped by stdin closing (os.Exit below): close the database
		// first, so that the tool can count what it stored.
		stdinClosed = func() { _ = st.Close(context.Background()) }
	}
	go h.run()
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", h.serveWS)
	mux.HandleFunc("/mem", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		_ = json.NewEncoder(w).Encode(map[string]uint64{"heap_inuse": m.HeapInuse, "stack_inuse": m.StackInuse, "sys": m.Sys, "goroutines": uint64(runtime.NumGoroutine())})
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("listening", ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		if stdinClosed != nil {
			stdinClosed()
		}
		os.Exit(0)
	}()
	return (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

// stdinClosed runs before a floor server exits.
var stdinClosed func()

// startFloor runs the floor server as a child process of this tool, so
// that it has its own memory and scheduler like the portal; with a dbPath
// it is the durable floor, storing into that SQLite file, with a dbDir the
// database floor, storing into an embedded database there.
func startFloor(dbPath, dbDir string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve-floor", "127.0.0.1:0"}
	if dbPath != "" {
		args = append(args, "-floor-db", dbPath)
	}
	if dbDir != "" {
		args = append(args, "-floor-embedded", dbDir)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening ") {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("floor server did not start: %q %v", line, err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening "))
	return &child{cmd: cmd, stop: func() { _ = stdin.Close() }, base: "http://" + addr}, nil
}

// countStoredEmbedded counts the database floor's stored messages after it
// stopped.
func countStoredEmbedded(dir string) int64 {
	st, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		return -1
	}
	defer st.Close(context.Background())
	n, err := st.DB.Collection("floor_events").CountDocuments(context.Background(), bson.D{})
	if err != nil {
		return -1
	}
	return n
}
