package server

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

type apiFieldErrors struct {
	Error struct {
		Field   string            `json:"field"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// Coded fields take only their codes: a country's name, or two letters that
// name no country, is refused with a message on that field instead of being
// stored as some other country ("Netherlands" was once saved as "NE", Niger).
func TestResourceCodedFieldsRefused(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	with := func(name, value string) []part {
		out := []part{}
		for _, p := range metaFields("Laptop criteria") {
			if p.name != name {
				out = append(out, p)
			}
		}
		return append(out, part{name, value})
	}
	tests := []struct {
		name, field, value string
		message            string
	}{
		{"country by name", "country", "Netherlands", "country"},
		{"country code of nothing", "country", "XX", "country"},
		{"country lower-case name", "country", "niger", "country"},
		{"licence by name", "licence", "CC BY 4.0", "licence"},
		{"language by name", "languages", "English", "language"},
	}
	for _, tt := range tests {
		t.Run("api "+tt.name, func(t *testing.T) {
			res, body := c.upload("/api/v1/resources", with(tt.field, tt.value), "a.txt", []byte("text\n"))
			if res.StatusCode != 400 {
				t.Fatalf("status %d, want 400: %.300s", res.StatusCode, body)
			}
			var eb apiFieldErrors
			_ = json.Unmarshal([]byte(body), &eb)
			if _, ok := eb.Error.Fields[tt.field]; !ok || eb.Error.Field != tt.field {
				t.Fatalf("field %q, fields %v: want %q named", eb.Error.Field, eb.Error.Fields, tt.field)
			}
			if !strings.Contains(strings.ToLower(eb.Error.Fields[tt.field]), tt.message) {
				t.Errorf("message %q does not name the %s", eb.Error.Fields[tt.field], tt.message)
			}
		})
	}
	t.Run("api country code kept", func(t *testing.T) {
		res, body := c.upload("/api/v1/resources", with("country", "nl"), "a.txt", []byte("text\n"))
		if res.StatusCode != 201 {
			t.Fatalf("status %d: %.300s", res.StatusCode, body)
		}
		if r := decodeResource(t, body); r.Country != "NL" {
			t.Fatalf("country %q", r.Country)
		}
	})

	t.Run("form", func(t *testing.T) {
		_, page := c.get("/library/upload")
		// The form offers countries by name in the page's language, stored as codes.
		if !strings.Contains(page, `<option value="NL">Netherlands</option>`) || !strings.Contains(page, `<select id="f-country" name="country"`) {
			t.Fatal("the upload form offers no country list by name")
		}
		fields := append([]part{{"_csrf", c.csrf}}, with("country", "Netherlands")...)
		ct, b := multipartBody(fields, "a.txt", []byte("text\n"))
		req := httptest.NewRequest("POST", "/library/upload", bytes.NewReader(b))
		req.Header.Set("Content-Type", ct)
		res, page := c.do(req)
		if res.StatusCode != 400 {
			t.Fatalf("status %d", res.StatusCode)
		}
		for _, want := range []string{`<a href="#f-country">Country: Choose the country from the list`, `id="e-country"`, `value="Laptop criteria"`} {
			if !strings.Contains(page, want) {
				t.Errorf("form lacks %q", want)
			}
		}
	})

	t.Run("edit", func(t *testing.T) {
		res, body := c.upload("/api/v1/resources", metaFields("Edited later"), "a.txt", []byte("text\n"))
		if res.StatusCode != 201 {
			t.Fatalf("status %d", res.StatusCode)
		}
		r := decodeResource(t, body)
		c.get("/library/" + r.ID + "/edit")
		form := url.Values{"title": {"Edited later"}, "summary": {"A summary."}, "type": {"report"}, "languages": {"en"}, "licence": {"cc_by"}, "visibility": {"public"}, "country": {"Netherlands"}}
		res, page := c.post("/library/"+r.ID+"/edit", form)
		if res.StatusCode != 400 || !strings.Contains(page, `<a href="#f-country">Country:`) {
			t.Fatalf("edit with country Netherlands: status %d", res.StatusCode)
		}
	})
}

// An empty upload form is answered with every missing field at once (not
// only the file), in the error summary, with what was typed kept.
func TestUploadFormReportsEveryField(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	c.signIn("buyer")
	c.get("/library/upload")
	ct, b := multipartBody([]part{{"_csrf", c.csrf}, {"summary", "What I wrote first"}, {"licence", "cc_by"}, {"visibility", "public"}, {"year", "1800"}}, "", nil)
	req := httptest.NewRequest("POST", "/library/upload", bytes.NewReader(b))
	req.Header.Set("Content-Type", ct)
	res, page := c.do(req)
	if res.StatusCode != 400 {
		t.Fatalf("status %d", res.StatusCode)
	}
	summary := page[strings.Index(page, `class="error-summary"`):]
	summary = summary[:strings.Index(summary, "</div>")]
	for _, field := range []string{"title", "type", "languages", "year", "file"} {
		if !strings.Contains(summary, `href="#f-`+field+`"`) {
			t.Errorf("error summary does not name %s: %s", field, summary)
		}
	}
	if !strings.Contains(page, "What I wrote first") {
		t.Error("the summary typed was lost")
	}

	t.Run("api", func(t *testing.T) {
		res, body := c.upload("/api/v1/resources", []part{{"summary", "s"}, {"licence", "cc_by"}, {"visibility", "public"}}, "", nil)
		var eb apiFieldErrors
		_ = json.Unmarshal([]byte(body), &eb)
		if res.StatusCode != 400 || eb.Error.Fields["title"] == "" || eb.Error.Fields["file"] == "" {
			t.Fatalf("status %d, fields %v", res.StatusCode, eb.Error.Fields)
		}
	})
}

// With words the library sorts by relevance, even when the form sends back
// the "Newest" it showed before the words were typed; a sort the member
// chose stays.
func TestLibrarySortFollowsWords(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	c := newClient(t, s)
	_, page := c.get("/library")
	if !strings.Contains(page, `name="auto_sort" value="newest"`) {
		t.Fatal("the first page does not mark its sort as the library's own choice")
	}
	_, page = c.get("/library?q=laptop&sort=newest&auto_sort=newest")
	if !strings.Contains(page, `<option value="relevance" selected>`) {
		t.Error("after a search the sort does not say Relevance")
	}
	_, page = c.get("/library?q=laptop&sort=downloads&auto_sort=relevance")
	if !strings.Contains(page, `<option value="downloads" selected>`) {
		t.Error("a chosen sort was not kept")
	}
}

// A visitor's 404 offers to sign in and come back to the same address,
// without saying whether anything is there.
func TestNotFoundOffersSignIn(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	anon := newClient(t, s)
	res, page := anon.get("/library/000000000000000000000000?x=1")
	if res.StatusCode != 404 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if !strings.Contains(page, `href="/signin?next=%2flibrary%2f000000000000000000000000%3fx%3d1"`) {
		t.Fatal("the visitor's 404 offers no sign-in back to the same address")
	}
	member := newClient(t, s)
	member.signIn("buyer")
	if _, page := member.get("/library/000000000000000000000000"); strings.Contains(page, "/signin?next=") {
		t.Fatal("a signed-in member is offered to sign in")
	}
}
