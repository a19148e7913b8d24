package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/circularfairict/portal/resources"
)

// localPath is the one gate between a return address and a redirect: a
// browser resolving whatever it returns against the portal's origin stays on
// that origin, and so does a proxy or redirect that percent-decodes it first.
// The seeds are the attacks known to work on lenient checks.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/members", "/library?q=circular%20ict&page=2", "/threads/abc#post-3",
		"//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example", "https:evil.example", "javascript:alert(1)",
		"/%2F%2Fevil.example", "/%252F%252Fevil.example", "/%5Cevil.example", "/%5C%5Cevil.example", "/ok\r\nSet-Cookie: x",
		"\t/x", "/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/%0A/evil.example", "/\r/evil.example",
		" //evil.example", "/ /evil.example", "/\x00/evil.example", "/\x7f/evil.example", "/\u3000/evil.example",
		"/\u2028/evil.example", "/\uff0f/evil.example", "/%E3%80%80/evil.example", "/..//evil.example", "/x/../..//evil.example",
		"/%2e%2e//evil.example", "/.%2e/%2Fevil.example", "/%", "/%zz", "/x?next=//evil.example", "/x#\\evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		p := localPath(next)
		if p != "/" && p != next {
			t.Fatalf("localPath(%q) = %q: a return address is kept or refused, never rewritten", next, p)
		}
		if host, ok := browserResolve(p); !ok || host != "portal.example" {
			t.Fatalf("localPath(%q) = %q, which a browser resolves to host %q (ok %v)", next, p, host, ok)
		}
		if d, err := url.PathUnescape(p); err == nil {
			if host, ok := browserResolve(d); !ok || host != "portal.example" {
				t.Fatalf("localPath(%q) = %q, which decodes to %q and resolves to host %q (ok %v)", next, p, d, host, ok)
			}
		}
	})
}

// browserResolve resolves ref against https://portal.example/ the way a
// browser reads a Location header (WHATWG URL): leading and trailing C0
// controls and spaces stripped, tabs and newlines removed anywhere, and a
// backslash read as a slash (over-approximated: everywhere, not only before
// the query). It reports the host and whether net/url could resolve it.
func browserResolve(ref string) (string, bool) {
	ref = strings.TrimFunc(ref, func(r rune) bool { return r <= ' ' })
	ref = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(ref)
	base, _ := url.Parse("https://portal.example/")
	u, err := url.Parse(ref)
	if err != nil {
		return "", false
	}
	r := base.ResolveReference(u)
	if r.Scheme != "https" || r.User != nil {
		return r.Host, false
	}
	return r.Host, true
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
