package forum

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Whatever a member writes, the rendered post holds no script, style or
// frame element, no event-handler or style attribute, and no link or
// source whose scheme could run code.
func FuzzMarkdownHTML(f *testing.F) {
	for _, s := range []string{
		"# Title\n\nSome **bold** and a [link](https://example.org).",
		"<script>alert(1)</script>",
		"[x](javascript:alert(1))",
		"[x](JaVaScRiPt&#58;alert(1))",
		"![img](x\" onerror=\"alert(1))",
		"<img src=x onerror=alert(1)>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"<svg onload=alert(1)>",
		"`<script>`\n\n```html\n<script>alert(1)</script>\n```",
		"| a | b |\n|---|---|\n| <iframe src=x> | [y](vbscript:msgbox) |",
		"<https://example.org/\" onmouseover=\"alert(1)>",
		"www.example.org/<script>",
		"> quote [@](/members/0123456789abcdef01234567)",
		"<style>body{display:none}</style><math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
		"[a](\tjava\nscript:alert(1))",
		"- [ ] task <input onfocus=alert(1) autofocus>",
	} {
		f.Add(s)
	}
	r := NewRenderer()
	f.Fuzz(func(t *testing.T, src string) {
		out := r.HTML(src)
		if msg := unsafeHTML(out); msg != "" {
			t.Fatalf("rendering %q gave %s:\n%s", src, msg, out)
		}
	})
}

// unsafeHTML tokenises out as a browser would and names the first thing
// that could run code or restyle the page, or returns "".
func unsafeHTML(out string) string {
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return ""
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "iframe", "frame", "object", "embed", "svg", "math", "form", "input", "button", "textarea", "link", "meta", "base":
			return "a <" + tok.Data + "> element"
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") || key == "style" || key == "srcdoc" || key == "formaction" {
				return "a " + key + " attribute"
			}
			if key == "href" || key == "src" || key == "action" || key == "xlink:href" || key == "cite" {
				if !safeURL(a.Val) {
					return key + "=" + a.Val
				}
			}
		}
	}
}

// safeURL accepts relative references and the http, https and mailto schemes.
func safeURL(v string) bool {
	v = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1 // browsers ignore these inside a scheme
		}
		return r
	}, v)
	i := strings.IndexAny(v, ":/?#")
	if i < 0 || v[i] != ':' {
		return true // no scheme: a relative reference
	}
	switch strings.ToLower(v[:i]) {
	case "http", "https", "mailto":
		return true
	}
	return false
}
