package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/circularfairict/portal/auth"
)

// apiToken makes a personal API token for a demo persona.
func apiToken(t *testing.T, s *Server, persona string) string {
	t.Helper()
	m, err := s.auth.MemberByIdentity(context.Background(), auth.DemoProvider, persona)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := s.auth.CreateToken(context.Background(), m.ID, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func apiDo(t *testing.T, base, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestWorkshopAPIAndLiveSocket(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	base := listen(t, s)
	fac, buyer := apiToken(t, s, "facilitator"), apiToken(t, s, "buyer")
	now := time.Now().UTC()
	body := map[string]any{"title": "Case clinic", "starts_at": now.Add(-10 * time.Minute).Format(time.RFC3339),
		"ends_at": now.Add(time.Hour).Format(time.RFC3339), "group": "ethics-working-group", "capacity": 20,
		"agenda": []map[string]any{{"title": "Welcome", "minutes": 5}, {"title": "Cases", "minutes": 45}}}
	if st, _ := apiDo(t, base, "POST", "/api/v1/workshops", buyer, body); st != http.StatusForbidden {
		t.Fatalf("a member created a workshop: %d", st)
	}
	st, w := apiDo(t, base, "POST", "/api/v1/workshops", fac, body)
	if st != http.StatusCreated || w["id"] == "" {
		t.Fatalf("create: %d %v", st, w)
	}
	id := w["id"].(string)
	if st, r := apiDo(t, base, "POST", "/api/v1/workshops/"+id+"/registrations", buyer, nil); st != http.StatusCreated || r["status"] != "registered" {
		t.Fatalf("register: %d %v", st, r)
	}
	if st, _ := apiDo(t, base, "POST", "/api/v1/workshops/"+id+"/close", buyer, nil); st != http.StatusForbidden {
		t.Fatalf("a participant closed the room: %d", st)
	}
	if st, _ := apiDo(t, base, "GET", "/api/v1/workshops/"+id, buyer, nil); st != http.StatusOK {
		t.Fatalf("show: %d", st)
	}

	wsURL := strings.Replace(base, "http", "ws", 1) + "/api/v1/workshops/" + id + "/live"
	dial := func(h http.Header) (*websocket.Conn, *http.Response, error) {
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		return d.Dial(wsURL, h)
	}
	// Token clients need no Origin.
	ws, _, err := dial(http.Header{"Authorization": {"Bearer " + buyer}})
	if err != nil {
		t.Fatalf("token client: %v", err)
	}
	defer ws.Close()
	var welcome map[string]any
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.ReadJSON(&welcome); err != nil || welcome["type"] != "welcome" {
		t.Fatalf("welcome: %v %v", welcome, err)
	}
	if you := welcome["you"].(map[string]any); you["role"] != "participant" || you["name"] != "Anna de Vries" {
		t.Fatalf("you = %v", you)
	}

	// A browser session: sign in, then connect with and without our Origin.
	c := newClient(t, s)
	c.signIn("buyer")
	cookie := ""
	for k, v := range c.cookies {
		cookie += k + "=" + v + "; "
	}
	tests := []struct {
		name   string
		origin string
		ok     bool
	}{
		{"other site", "https://evil.example", false},
		{"no origin", "", false},
		{"our origin", base, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Cookie": {cookie}}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			conn, res, err := dial(h)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				conn.Close()
				return
			}
			if err == nil {
				conn.Close()
				t.Fatal("a cookie-authenticated socket was accepted from " + tt.origin)
			}
			if res == nil || res.StatusCode != http.StatusForbidden {
				t.Fatalf("response %v", res)
			}
		})
	}
	// Someone who may not see the workshop cannot connect: the group is
	// public, so use an unknown workshop instead.
	_, res, err := websocket.DefaultDialer.Dial(strings.Replace(wsURL, id, "000000000000000000000000", 1), http.Header{"Authorization": {"Bearer " + buyer}})
	if err == nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown workshop: %v %v", res, err)
	}
}
