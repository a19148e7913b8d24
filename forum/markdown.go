package forum

import (
	"bytes"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// Renderer turns members' Markdown into HTML that is safe to show: goldmark
// renders without raw HTML (it is dropped, never passed through), then
// bluemonday's UGC policy removes anything executable that could remain
// (event handlers, javascript: and data: URLs, style, SVG, forms).
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// NewRenderer builds the Markdown pipeline once; it is safe for concurrent use.
func NewRenderer() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM), // tables, strikethrough, autolinks, task lists
		goldmark.WithRendererOptions(html.WithHardWraps()),
	)
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true) // adds rel=noopener too
	p.AllowURLSchemes("http", "https", "mailto")
	return &Renderer{md: md, policy: p}
}

// HTML renders Markdown to sanitised HTML.
func (r *Renderer) HTML(src string) string {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on writer errors; show the text escaped.
		return r.policy.Sanitize("<p>" + strings.ReplaceAll(src, "<", "&lt;") + "</p>")
	}
	return r.policy.Sanitize(buf.String())
}

var (
	// A mention is a Markdown link to a member's profile after an at sign,
	// as the composer's autocomplete writes it: @[Anna de Vries](/members/ID).
	mentionRe = regexp.MustCompile(`@\[[^\]\n]{1,80}\]\(/members/([0-9a-f]{24})\)`)
	// A quote is a block quote that links to the quoted post's permalink.
	quoteRe = regexp.MustCompile(`(?m)^\s*>.*\(/threads/([0-9a-f]{24})/posts/([0-9]{1,6})\)`)
	// A library resource linked anywhere in the post becomes a card.
	resourceRe = regexp.MustCompile(`/library/([0-9a-f]{24})\b`)
)

// Mentions returns the member IDs mentioned in src, each once.
func Mentions(src string) []string {
	return uniq(mentionRe.FindAllStringSubmatch(src, -1), 1)
}

// Quotes returns the numbers of posts of threadID quoted in src.
func Quotes(src, threadID string) []int {
	var out []int
	seen := map[int]bool{}
	for _, m := range quoteRe.FindAllStringSubmatch(src, -1) {
		n, err := strconv.Atoi(m[2])
		if m[1] != threadID || err != nil || n < 1 || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// ResourceLinks returns the library resource IDs linked from src.
func ResourceLinks(src string) []string {
	return uniq(resourceRe.FindAllStringSubmatch(src, -1), 1)
}

func uniq(ms [][]string, group int) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range ms {
		if !seen[m[group]] {
			seen[m[group]] = true
			out = append(out, m[group])
		}
	}
	return out
}

// QuoteMarkdown returns the block quote the composer starts a reply with
// when a member quotes post n of a thread by author.
func QuoteMarkdown(threadID string, n int, author, body string) string {
	var b strings.Builder
	b.WriteString("> **[" + escapeLinkText(author) + "](/threads/" + threadID + "/posts/" + strconv.Itoa(n) + ")**\n")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) > 12 {
		lines = append(lines[:12], "…")
	}
	for _, l := range lines {
		b.WriteString("> " + l + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

func escapeLinkText(s string) string {
	return strings.NewReplacer("[", "(", "]", ")", "\n", " ").Replace(s)
}
