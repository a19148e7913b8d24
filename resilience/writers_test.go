package resilience

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// liveWorkshop is the demo's workshop that is always live, with the buyer
// registered.
const liveWorkshop = "00000000000000000000d001"

// ledger records, for one kind of write, what the client tried and which
// writes got a success answer. Keys are unique per write.
type ledger struct {
	mu    sync.Mutex
	tried []string
	acked map[string]string // key -> what the answer named (an id), or ""
	// refusal is the last answer that was neither a success nor a
	// failure to connect, for the report when nothing succeeds.
	refusal string
}

func (l *ledger) refused(st int, body []byte) {
	l.mu.Lock()
	l.refusal = fmt.Sprintf("%d %.300s", st, body)
	l.mu.Unlock()
}

func newLedger() *ledger { return &ledger{acked: map[string]string{}} }

func (l *ledger) try(key string) {
	l.mu.Lock()
	l.tried = append(l.tried, key)
	l.mu.Unlock()
}

func (l *ledger) ack(key, id string) {
	l.mu.Lock()
	l.acked[key] = id
	l.mu.Unlock()
}

func (l *ledger) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

func (l *ledger) snapshot() ([]string, map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	acked := make(map[string]string, len(l.acked))
	for k, v := range l.acked {
		acked[k] = v
	}
	return append([]string(nil), l.tried...), acked
}

// check compares what is there (count of each key) with the ledger: an
// acknowledged write exactly once, any other at most once.
func (l *ledger) check(t *testing.T, kind string, count func(key string) int) {
	t.Helper()
	tried, acked := l.snapshot()
	if len(acked) == 0 {
		t.Errorf("%s: no write was acknowledged: the test proves nothing (last refusal: %s)", kind, l.refusal)
	}
	lost, dup := 0, 0
	for _, key := range tried {
		n := count(key)
		_, ok := acked[key]
		switch {
		case ok && n != 1:
			lost++
			t.Errorf("%s: acknowledged %q (answer: %s) is there %d times", kind, key, acked[key], n)
		case n > 1:
			dup++
			t.Errorf("%s: unacknowledged %q is there %d times", kind, key, n)
		}
	}
	t.Logf("%s: %d tried, %d acknowledged, %d lost, %d duplicated", kind, len(tried), len(acked), lost, dup)
}

// sendJSON posts a JSON body as the page scripts do: CSRF token in the
// header, JSON asked.
func (m *member) sendJSON(path string, body any) (int, []byte, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, m.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", m.csrf)
	return m.send(req)
}

func (m *member) send(req *http.Request) (int, []byte, error) {
	res, err := m.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

func (m *member) getJSON(path string, v any) error {
	req, _ := http.NewRequest(http.MethodGet, m.base+path, nil)
	req.Header.Set("Accept", "application/json")
	st, b, err := m.send(req)
	if err != nil {
		return err
	}
	if st != 200 {
		return fmt.Errorf("%s answered %d: %.200s", path, st, b)
	}
	return json.Unmarshal(b, v)
}

// writeThreads starts threads and replies to acknowledged ones, through the
// API, until stop closes. Thread titles and reply bodies are the keys.
func writeThreads(m *member, threads, replies *ledger, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ids []string
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		if len(ids) == 0 || i%3 == 0 {
			title := fmt.Sprintf("Crash thread %d", i)
			threads.try(title)
			st, b, err := m.sendJSON("/api/v1/threads", map[string]string{"title": title, "body": "Opening post of " + title + ".", "category": "general"})
			var out struct {
				Thread struct {
					ID string `json:"id"`
				} `json:"thread"`
			}
			if err == nil && st == 201 && json.Unmarshal(b, &out) == nil && out.Thread.ID != "" {
				threads.ack(title, out.Thread.ID)
				ids = append(ids, out.Thread.ID)
			} else if err == nil {
				threads.refused(st, b)
			} else {
				time.Sleep(5 * time.Millisecond)
			}
			continue
		}
		id := ids[rng.IntN(len(ids))]
		body := fmt.Sprintf("Crash reply %d", i)
		replies.try(body)
		st, b, err := m.sendJSON("/api/v1/threads/"+id+"/posts", map[string]string{"body": body})
		if err == nil && st == 201 {
			replies.ack(body, id)
		} else if err == nil {
			replies.refused(st, b)
		} else {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// uploadContent is the file of upload i: big enough (256 KiB) that a kill
// can land while it streams to the database.
func uploadContent(i int) []byte {
	var b bytes.Buffer
	for b.Len() < 256<<10 {
		fmt.Fprintf(&b, "Crash upload %d: repairability evidence, line %d.\n", i, b.Len())
	}
	return b.Bytes()
}

// writeUploads uploads files to the library with an Idempotency-Key each,
// resending a write that got no answer with the same key (as a careful
// client does) until it is answered or stop closes.
func writeUploads(m *member, uploads *ledger, stop <-chan struct{}) {
	for i := 0; ; i++ {
		title := fmt.Sprintf("Crash upload %d", i)
		uploads.try(title)
		for {
			select {
			case <-stop:
				return
			default:
			}
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			for _, f := range [][2]string{{"title", title}, {"summary", "A file uploaded while the portal is killed."}, {"type", "criteria_set"},
				{"languages", "en"}, {"licence", "cc_by"}, {"visibility", "public"}} {
				_ = w.WriteField(f[0], f[1])
			}
			fw, _ := w.CreateFormFile("file", fmt.Sprintf("crash-%d.txt", i))
			_, _ = fw.Write(uploadContent(i))
			_ = w.Close()
			req, _ := http.NewRequest(http.MethodPost, m.base+"/api/v1/resources", &buf)
			req.Header.Set("Content-Type", w.FormDataContentType())
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-CSRF-Token", m.csrf)
			req.Header.Set("Idempotency-Key", fmt.Sprintf("crash-upload-%d", i))
			st, b, err := m.send(req)
			var out struct {
				ID string `json:"id"`
			}
			if err == nil && (st == 201 || st == 200) && json.Unmarshal(b, &out) == nil && out.ID != "" {
				uploads.ack(title, out.ID)
				break
			}
			if err == nil && st < 500 {
				uploads.refused(st, b)
				break // refused: a new write next
			}
			time.Sleep(20 * time.Millisecond) // no answer or a server error: resend with the same key
		}
	}
}

func dialRoom(m *member, lastSeq string) (*websocket.Conn, error) {
	u, _ := url.Parse(m.base)
	hdr := http.Header{}
	var cookies []string
	for _, c := range m.c.Jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	hdr.Set("Cookie", strings.Join(cookies, "; "))
	hdr.Set("Origin", m.base)
	addr := "ws://" + u.Host + "/api/v1/workshops/" + liveWorkshop + "/live"
	if lastSeq != "" {
		addr += "?last_seq=" + lastSeq
	}
	d := websocket.Dialer{HandshakeTimeout: 2 * time.Second}
	ws, res, err := d.Dial(addr, hdr)
	if res != nil && res.Body != nil {
		res.Body.Close()
	}
	return ws, err
}

// writeChat sends chat messages with idempotency keys over the room's
// websocket. A message counts as written when the server acknowledges its
// key; after a dropped socket the client reconnects and resends the
// message it has no acknowledgement for, with the same key, as room.js does.
func writeChat(m *member, chat *ledger, stop <-chan struct{}) {
	var ws *websocket.Conn
	defer func() {
		if ws != nil {
			ws.Close()
		}
	}()
	for i := 0; ; i++ {
		key := fmt.Sprintf("crash-chat-%d", i)
		text := "Crash chat " + key
		chat.try(text)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if ws == nil {
				var err error
				if ws, err = dialRoom(m, ""); err != nil {
					ws = nil
					time.Sleep(20 * time.Millisecond)
					continue
				}
			}
			ack, err := sendChat(ws, key, text)
			if ack != "" {
				chat.ack(text, ack)
				time.Sleep(100 * time.Millisecond) // within the room's 5 frames a second
				break
			}
			if err != nil {
				ws.Close()
				ws = nil
			}
		}
	}
}

// sendChat sends one chat frame and reads until its ack or error arrives;
// it returns the ack as "seq=N duplicate=B", or "" without one.
func sendChat(ws *websocket.Conn, key, text string) (string, error) {
	_ = ws.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if err := ws.WriteJSON(map[string]string{"type": "chat", "key": key, "text": text}); err != nil {
		return "", err
	}
	_ = ws.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		var f struct {
			Type string `json:"type"`
			Key  string `json:"key"`
			Ref  string `json:"ref"`
			Code string `json:"code"`
			Seq  int64  `json:"seq"`
			Dup  bool   `json:"duplicate"`
		}
		if err := ws.ReadJSON(&f); err != nil {
			return "", err
		}
		switch {
		case f.Type == "ack" && f.Key == key:
			return fmt.Sprintf("seq=%d duplicate=%v", f.Seq, f.Dup), nil
		case f.Type == "error" && f.Ref == key:
			if f.Code == "rate_limited" || f.Code == "unavailable" {
				time.Sleep(300 * time.Millisecond)
				return "", nil // resend with the same key
			}
			return "", fmt.Errorf("chat refused: %s", f.Code)
		}
	}
}

// roomChat reads the room's whole history (replay from seq 0) and counts
// the chat texts.
func roomChat(t *testing.T, m *member) map[string]int {
	t.Helper()
	ws, err := dialRoom(m, "0")
	if err != nil {
		t.Fatalf("room after restart: %v", err)
	}
	defer ws.Close()
	counts := map[string]int{}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var roomSeq int64 = -1
	for {
		var f struct {
			Type    string `json:"type"`
			Seq     int64  `json:"seq"`
			RoomSeq int64  `json:"room_seq"`
			Replay  string `json:"replay"`
			Text    string `json:"text"`
		}
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("reading the room's history: %v", err)
		}
		if f.Type == "welcome" {
			if f.Replay != "events" && f.RoomSeq > 0 {
				t.Fatalf("the room replays %q, want events from 0 (more than the replay window was written?)", f.Replay)
			}
			roomSeq = f.RoomSeq
		}
		if f.Type == "chat" {
			counts[f.Text]++
		}
		if roomSeq >= 0 && f.Seq >= roomSeq {
			return counts
		}
	}
}

// checkThreads reads every thread the ledger tried through the API and the
// category page: each acknowledged thread and reply is there once, and no
// listed thread lacks its opening post.
func checkThreads(t *testing.T, m *member, threads, replies *ledger) {
	t.Helper()
	// Threads as a visitor to the category sees them, page by page.
	titles := map[string][]string{} // title -> thread ids
	for page := 1; page < 100; page++ {
		st, body, err := m.page(fmt.Sprintf("/discussions/c/general?page=%d", page))
		if err != nil || st != 200 {
			t.Fatalf("category page %d: %d %v", page, st, err)
		}
		for _, f := range threadLinkRe.FindAllStringSubmatch(body, -1) {
			if strings.HasPrefix(f[2], "Crash thread ") {
				titles[f[2]] = append(titles[f[2]], f[1])
			}
		}
		if !strings.Contains(body, fmt.Sprintf("page=%d\"", page+1)) {
			break
		}
	}
	threads.check(t, "threads", func(title string) int { return len(titles[title]) })

	replyCount := map[string]int{}
	for title, ids := range titles {
		for _, id := range ids {
			var th struct {
				Posts []struct {
					N        int    `json:"n"`
					BodyHTML string `json:"body_html"`
				} `json:"posts"`
			}
			if err := m.getJSON("/api/v1/threads/"+id, &th); err != nil {
				t.Errorf("thread %q (%s) listed but not readable: %v", title, id, err)
				continue
			}
			if len(th.Posts) == 0 || th.Posts[0].N != 1 || !strings.Contains(th.Posts[0].BodyHTML, "Opening post of "+title+".") {
				t.Errorf("thread %q (%s) is listed without its opening post", title, id)
			}
			for _, p := range th.Posts[1:] {
				if m := replyRe.FindStringSubmatch(p.BodyHTML); m != nil {
					replyCount[m[1]]++
				}
			}
		}
	}
	replies.check(t, "replies", func(body string) int { return replyCount[body] })

	// A reply cut off between its two writes must not block the thread:
	// every thread still takes a reply after the restarts.
	if _, _, err := m.page("/discussions"); err != nil {
		t.Fatal(err)
	}
	for title, ids := range titles {
		for _, id := range ids {
			if st, b, err := m.sendJSON("/api/v1/threads/"+id+"/posts", map[string]string{"body": "A reply after the restarts."}); err != nil || st != 201 {
				t.Errorf("thread %q (%s) refuses a reply after the restarts: %d %v %.200s", title, id, st, err, b)
			}
		}
	}
}

var (
	threadLinkRe = regexp.MustCompile(`<a href="/threads/([0-9a-f]{24})">([^<]+)</a>`)
	replyRe      = regexp.MustCompile(`<p>(Crash reply \d+)</p>`)
)

// checkUploads lists the library's crash uploads through the API: each
// acknowledged upload is there once, and every listed one downloads whole,
// with the size and checksum its version claims.
func checkUploads(t *testing.T, m *member, uploads *ledger) {
	t.Helper()
	titles := map[string]int{}
	for page := 1; page < 100; page++ {
		var res struct {
			Items []struct {
				ID       string `json:"id"`
				Title    string `json:"title"`
				FileURL  string `json:"file_url"`
				Versions []struct {
					Size   int64  `json:"size"`
					SHA256 string `json:"sha256"`
				} `json:"versions"`
			} `json:"items"`
			Pages int `json:"pages"`
		}
		if err := m.getJSON(fmt.Sprintf("/api/v1/resources?q=crash+upload&page=%d", page), &res); err != nil {
			t.Fatalf("library list: %v", err)
		}
		for _, r := range res.Items {
			if !strings.HasPrefix(r.Title, "Crash upload ") {
				continue
			}
			titles[r.Title]++
			req, _ := http.NewRequest(http.MethodGet, m.base+r.FileURL, nil)
			st, body, err := m.send(req)
			sum := sha256.Sum256(body)
			switch {
			case err != nil || st != 200:
				t.Errorf("%s (%s) is listed but its file answers %d %v", r.Title, r.ID, st, err)
			case len(r.Versions) != 1 || int64(len(body)) != r.Versions[0].Size || hex.EncodeToString(sum[:]) != r.Versions[0].SHA256:
				t.Errorf("%s (%s): the file has %d bytes, not the %d with the checksum its version claims", r.Title, r.ID, len(body), r.Versions[0].Size)
			}
			var i int
			if _, err := fmt.Sscanf(r.Title, "Crash upload %d", &i); err == nil && !bytes.Equal(body, uploadContent(i)) {
				t.Errorf("%s: the file is not the one uploaded", r.Title)
			}
		}
		if page >= res.Pages {
			break
		}
	}
	uploads.check(t, "uploads", func(title string) int { return titles[title] })
}
