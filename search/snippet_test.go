package search

import (
	"strings"
	"testing"
)

func TestSnippet(t *testing.T) {
	text := `Intro <script>alert("x")</script> & the réparabilité clause: spare parts for seven years.`
	i := strings.Index(text, "réparabilité")
	j := strings.Index(text, "spare")
	got := Snippet(text, []Span{{i, i + len("réparabilité")}, {j, j + 5}, {-1, 3}, {5, 500}}, 240)
	want := `Intro &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; the <mark>réparabilité</mark> clause: <mark>spare</mark> parts for seven years.`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// A long text is cut around the densest matches, on whole words and
	// whole characters.
	long := strings.Repeat("é filler ", 100) + "needle here " + strings.Repeat("ü more ", 100)
	k := strings.Index(long, "needle")
	got = Snippet(long, []Span{{k, k + 6}}, 80)
	if !strings.Contains(got, "<mark>needle</mark>") || !strings.HasPrefix(got, "… ") || !strings.HasSuffix(got, " …") || len(got) > 120 {
		t.Fatalf("long: %q", got)
	}
	if !strings.Contains(got, "filler") || strings.Contains(got, "\ufffd") {
		t.Fatalf("long: %q", got)
	}
	if Snippet("text", nil, 80) != "" || Snippet("text", []Span{{2, 1}}, 80) != "" {
		t.Fatal("no spans: want no snippet")
	}
}
