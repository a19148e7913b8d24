package forum

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// xssCorpus holds Markdown and HTML that try to run script in a reader's
// browser. None may survive rendering with anything executable.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	`<img src=x onerror=alert(1)>`,
	`<a href="#" onclick="alert(1)">click</a>`,
	`[click](javascript:alert(1))`,
	`[click](JaVaScRiPt:alert(1))`,
	`[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))`,
	`[click](&#x6A;avascript:alert(1))`,
	`[click](java&#x09;script:alert(1))`,
	`<a href="javascript&colon;alert(1)">x</a>`,
	`![x](javascript:alert(1))`,
	`![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`[x](data:text/html,<script>alert(1)</script>)`,
	`<svg onload=alert(1)><circle r=1></svg>`,
	`<svg><script>alert(1)</script></svg>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<style>body{background:url(javascript:alert(1))}</style>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<p style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</p>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<object data="x.swf"></object><embed src="x.swf">`,
	`<form action="https://evil.example"><input name=q><button>go</button></form>`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="https://evil.example/">`,
	`<details open ontoggle=alert(1)>`,
	"```html\n<script>alert(1)</script>\n```",
	`<<script>script>alert(1)<</script>/script>`,
	`<a href="  javascript:alert(1)">x</a>`,
	`[x](vbscript:msgbox(1))`,
	`<img src="x" alt="x" onmouseover="alert(1)">`,
	`<https://example.org/" onmouseover="alert(1)>`,
	`[a](https://example.org/"onmouseover="alert(1))`,
}

// badElements may run script, load active content or restyle the page.
var badElements = map[string]bool{"script": true, "style": true, "svg": true, "math": true, "iframe": true, "object": true,
	"embed": true, "form": true, "input": true, "button": true, "meta": true, "base": true, "link": true, "frame": true, "details": true}

// executable parses rendered HTML as a browser would and reports what could
// execute: dangerous elements, event handler or style attributes, and URLs
// whose scheme is not http, https or mailto (relative URLs are fine).
func executable(out string) []string {
	var found []string
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		return []string{err.Error()}
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if badElements[n.Data] {
				found = append(found, "element "+n.Data)
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				if strings.HasPrefix(key, "on") || key == "style" || key == "srcdoc" || key == "formaction" {
					found = append(found, "attribute "+key)
				}
				if key == "href" || key == "src" || key == "action" || key == "xlink:href" {
					u, err := url.Parse(strings.TrimSpace(a.Val))
					if err != nil {
						found = append(found, "unparsable URL "+a.Val)
					} else if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto" {
						found = append(found, "URL scheme "+u.Scheme)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

func TestRenderXSSCorpus(t *testing.T) {
	r := NewRenderer()
	for _, in := range xssCorpus {
		out := r.HTML(in)
		if bad := executable(out); len(bad) > 0 {
			t.Errorf("input %q rendered %q: %v", in, out, bad)
		}
	}
	// The checker itself must see what it looks for.
	if len(executable(`<a href="javascript:x" onclick="y">a</a><script></script>`)) != 3 {
		t.Fatal("executable() misses planted problems")
	}
}

func TestRenderKeepsMarkdown(t *testing.T) {
	r := NewRenderer()
	out := r.HTML("**bold** and [a link](https://example.org) and a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted")
	for _, want := range []string{"<strong>bold</strong>", `href="https://example.org"`, `rel="nofollow noopener"`, "<table>", "<blockquote>"} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered %q lacks %q", out, want)
		}
	}
}

func TestMentionsQuotesResources(t *testing.T) {
	tid := "0123456789abcdef01234567"
	body := "Hi @[Anna de Vries](/members/aaaaaaaaaaaaaaaaaaaaaaaa) and @[Lucas](/members/bbbbbbbbbbbbbbbbbbbbbbbb), again @[Anna](/members/aaaaaaaaaaaaaaaaaaaaaaaa).\n" +
		QuoteMarkdown(tid, 3, "Pieter", "Our clause\nsecond line") + "See /library/cccccccccccccccccccccccc and\n> [other](/threads/ffffffffffffffffffffffff/posts/2)"
	if got := Mentions(body); len(got) != 2 || got[0] != "aaaaaaaaaaaaaaaaaaaaaaaa" {
		t.Errorf("mentions: %v", got)
	}
	if got := Quotes(body, tid); len(got) != 1 || got[0] != 3 {
		t.Errorf("quotes: %v", got)
	}
	if got := ResourceLinks(body); len(got) != 1 {
		t.Errorf("resources: %v", got)
	}
}

func TestUnsubscribeToken(t *testing.T) {
	s := NewSigner([]byte("secret-key-for-tests-0123456789"))
	tok := s.Token("m1", ScopeThread, "t1")
	if m, sc, tg, ok := s.Verify(tok); !ok || m != "m1" || sc != ScopeThread || tg != "t1" {
		t.Fatalf("verify: %v %v %v %v", m, sc, tg, ok)
	}
	other := NewSigner([]byte("another-key-0123456789012345678"))
	if _, _, _, ok := other.Verify(tok); ok {
		t.Fatal("token verified with another key")
	}
	if _, _, _, ok := s.Verify(tok[:len(tok)-2] + "xx"); ok {
		t.Fatal("tampered token verified")
	}
	forged := NewSigner([]byte("secret-key-for-tests-0123456789")).Token("m2", ScopeEmail, "")
	if m, _, _, _ := s.Verify(forged); m != "m2" {
		t.Fatal("same key should verify")
	}
}
