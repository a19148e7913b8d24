package server

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circularfairict/portal/resources/samples"
)

func TestResourcePageActions(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	owner := newClient(t, s)
	owner.signIn("buyer")
	res, body := owner.upload("/api/v1/resources", metaFields("Laptop refresh case study"), "case.md", []byte("# Extending the laptop refresh cycle\n\nFrom four to six years.\n"))
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	r := decodeResource(t, body)
	page := "/library/" + r.ID
	res2, body2 := owner.upload("/api/v1/resources", metaFields("Étude de cas : cycle de renouvellement"), "cas.md", []byte("# Prolonger la durée d'utilisation\n"))
	if res2.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res2.StatusCode, body2)
	}
	fr := decodeResource(t, body2)

	member := newClient(t, s)
	member.signIn("facilitator")
	coordinator := newClient(t, s)
	coordinator.signIn("coordinator")
	anon := newClient(t, s)

	steps := []struct {
		name     string
		c        *client
		path     string
		form     url.Values
		status   int
		pageWant string
	}{
		{"anonymous cannot bookmark", anon, page + "/bookmark", nil, 401, ""},
		{"member bookmarks", member, page + "/bookmark", nil, 303, "Remove the bookmark"},
		{"member says where it was used", member, page + "/used", url.Values{"where": {"Walloon laptop framework 2025"}, "year": {"2025"}}, 303, "Walloon laptop framework 2025 (2025)"},
		{"used needs a year", member, page + "/used", url.Values{"where": {"x"}, "year": {"1200"}}, 303, "Used in tenders: 1"},
		{"member reports", member, page + "/report", url.Values{"reason": {"The file is outdated."}}, 303, ""},
		{"member cannot curate", member, page + "/feature", url.Values{"good_practice": {"1"}}, 403, ""},
		{"member cannot withdraw someone else's", member, page + "/withdraw", url.Values{"reason": {"no"}}, 403, ""},
		{"coordinator marks good practice", coordinator, page + "/feature", url.Values{"good_practice": {"1"}}, 303, "Good practice"},
		{"owner links the translation", owner, "/library/" + fr.ID + "/links", url.Values{"kind": {"translation_of"}, "target": {"http://127.0.0.1:8080/library/" + r.ID}}, 303, ""},
		{"owner edits", owner, page + "/edit", url.Values{"title": {"Laptop refresh case study (2026)"}, "summary": {"Updated."}, "type": {"case_study"}, "languages": {"en"}, "licence": {"cc_by_sa"}, "visibility": {"public"}}, 303, "Laptop refresh case study (2026)"},
		{"edit errors keep the input", owner, page + "/edit", url.Values{"title": {""}, "summary": {"Kept summary"}, "type": {"case_study"}, "languages": {"en"}, "licence": {"cc_by"}, "visibility": {"public"}}, 400, ""},
		{"owner withdraws with a reason", owner, page + "/withdraw", url.Values{"reason": {"Superseded by the 2026 guidance."}}, 303, "Superseded by the 2026 guidance."},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.c.get(page)
			res, body := st.c.post(st.path, st.form)
			if res.StatusCode != st.status {
				t.Fatalf("status %d, want %d: %.300s", res.StatusCode, st.status, body)
			}
			if st.status == 400 && !strings.Contains(body, "Kept summary") {
				t.Fatal("the form lost the input")
			}
			if st.pageWant != "" {
				if _, p := st.c.get(page); !strings.Contains(p, st.pageWant) {
					t.Fatalf("page lacks %q", st.pageWant)
				}
			}
		})
	}
	// The translation link shows on both pages.
	if _, p := anon.get("/library/" + fr.ID); !strings.Contains(p, "Translation of") || !strings.Contains(p, "/library/"+r.ID) {
		t.Error("the typed link is not shown")
	}
	// Withdrawn: still reachable by its link, gone from lists and the home page.
	if res, p := anon.get(page); res.StatusCode != 200 || !strings.Contains(p, "This resource was withdrawn") {
		t.Errorf("withdrawn page: %d", res.StatusCode)
	}
	if _, list := anon.get("/api/v1/resources"); strings.Contains(list, r.ID) {
		t.Error("a withdrawn resource is still listed")
	}
	// Counts: the page was viewed; the stable link counts downloads.
	anon.get(r.FileURL)
	_, j := anon.get("/api/v1/resources/" + r.ID)
	got := decodeResource(t, j)
	if got.Downloads != 1 || got.Views == 0 || got.UsedCount != 1 || got.Licence != "cc_by_sa" {
		t.Errorf("counts: downloads %d views %d used %d licence %s", got.Downloads, got.Views, got.UsedCount, got.Licence)
	}
}

func TestHomeFeaturesGoodPractice(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("coordinator")
	res, body := c.upload("/api/v1/resources", metaFields("Award grid for label or equivalent"), "grid.csv", []byte("criterion,points\nTCO Certified or equivalent,10\n"))
	if res.StatusCode != 201 {
		t.Fatal(body)
	}
	r := decodeResource(t, body)
	anon := newClient(t, s)
	if _, home := anon.get("/"); !strings.Contains(home, "New in the library: Award grid") || strings.Contains(home, "Good practice from the library") {
		t.Fatal("home page: activity missing or featured too early")
	}
	c.get("/library/" + r.ID)
	c.post("/library/"+r.ID+"/feature", url.Values{"good_practice": {"1"}})
	if _, home := anon.get("/"); !strings.Contains(home, "Good practice from the library") || !strings.Contains(home, "/library/"+r.ID) {
		t.Fatal("the good practice is not featured on the home page")
	}
}

// fakeClamd answers the INSTREAM protocol on a unix socket: FOUND when the
// stream contains the EICAR marker, OK otherwise.
func fakeClamd(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(shortTempDir(t), "clamd.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func(conn net.Conn) {
				defer conn.Close()
				cmd := make([]byte, len("zINSTREAM\x00"))
				if _, err := io.ReadFull(conn, cmd); err != nil || string(cmd) != "zINSTREAM\x00" {
					return
				}
				var data bytes.Buffer
				for {
					var n uint32
					if err := binary.Read(conn, binary.BigEndian, &n); err != nil {
						return
					}
					if n == 0 {
						break
					}
					if _, err := io.CopyN(&data, conn, int64(n)); err != nil {
						return
					}
				}
				if bytes.Contains(data.Bytes(), []byte("EICAR-STANDARD-ANTIVIRUS-TEST-FILE")) {
					conn.Write([]byte("stream: Eicar-Test-Signature FOUND\x00"))
				} else {
					conn.Write([]byte("stream: OK\x00"))
				}
			}(conn)
		}
	}()
	return sock
}

func TestClamAVScan(t *testing.T) {
	sock := fakeClamd(t)
	tests := []struct {
		name, socket string
		data         []byte
		status       int
		message      string
	}{
		{"clean file", sock, samples.DOCX("Clean clause", "Nothing to see."), 201, ""},
		{"infected file", sock, []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*` + "\n"), 400, "Eicar-Test-Signature"},
		{"scanner down fails closed", filepath.Join(shortTempDir(t), "none.sock"), []byte("harmless\n"), 503, "virus scanner is not available"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, opts{clamav: tt.socket})
			c := newClient(t, s)
			c.signIn("buyer")
			res, body := c.upload("/api/v1/resources", metaFields(tt.name), "f.txt", tt.data)
			if res.StatusCode != tt.status || !strings.Contains(body, tt.message) {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
		})
	}
}
