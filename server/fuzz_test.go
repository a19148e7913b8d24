package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/circularfairict/portal/resources"
)

// localPath is the only gate between a "next" parameter and a redirect: its
// result is always a path on this site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/members", "//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)",
		"/%2F%2Fevil.example", "/ok\r\nSet-Cookie: x", "\t/x", "/\t/evil.example", "/..//evil.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		p := localPath(next)
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
			t.Fatalf("localPath(%q) = %q", next, p)
		}
		u, err := url.Parse(p)
		if err == nil && (u.Host != "" || u.Scheme != "") {
			t.Fatalf("localPath(%q) = %q leaves the site (host %q, scheme %q)", next, p, u.Host, u.Scheme)
		}
	})
}

// validSecret admits only strings shaped like the portal's own secrets.
func FuzzValidSecret(f *testing.F) {
	f.Add("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ")
	f.Add(`{"$ne": null}`)
	f.Fuzz(func(t *testing.T, s string) {
		if validSecret(s) && (len(s) != 43 || strings.ContainsAny(s, "$.{}\"' \x00")) {
			t.Fatalf("accepted %q", s)
		}
	})
}

// Whatever name a member gives a file, the download header is one line of
// printable ASCII that a strict RFC 6266 parser reads back as the name the
// file is served under.
func FuzzContentDisposition(f *testing.F) {
	for _, tt := range hostileFileNames {
		f.Add(tt.fileName)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, k := range []resources.Kind{resources.KindPDF, resources.KindText, resources.KindMarkdown} {
			served := resources.DownloadName(name, k)
			checkContentDisposition(t, contentDisposition(served), served)
		}
	})
}
