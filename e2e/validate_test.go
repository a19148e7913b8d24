package e2e

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// validationLang is the one language whose pages are validated. The markup
// comes from the same templates in every language; only catalog text
// changes, and html/template escapes it, so a second language could only
// find what the first already found.
const validationLang = "en"

// htmlBatch collects served pages to validate in one run of the Nu HTML
// Checker: starting its JVM costs a few seconds, checking a page far less.
type htmlBatch struct {
	dir   string
	pages map[string]string // file name -> page path, for messages
}

func newHTMLBatch(t *testing.T) *htmlBatch {
	return &htmlBatch{dir: t.TempDir(), pages: map[string]string{}}
}

func (b *htmlBatch) add(t *testing.T, name, page string, body []byte) {
	t.Helper()
	file := name + ".html"
	if err := os.WriteFile(filepath.Join(b.dir, file), body, 0o600); err != nil {
		t.Fatal(err)
	}
	b.pages[file] = page
}

// vnuMessage is the part of one message of vnu's JSON report a failure names.
type vnuMessage struct {
	Type     string `json:"type"`
	URL      string `json:"url"`
	LastLine int    `json:"lastLine"`
	Message  string `json:"message"`
	Extract  string `json:"extract"`
}

// validate runs vnu.jar (npm package vnu-jar) over every collected page and
// fails the test on each error, naming the page, line and markup.
func (b *htmlBatch) validate(t *testing.T) {
	t.Helper()
	if len(b.pages) == 0 {
		t.Fatal("no page was collected for HTML validation")
	}
	jar := filepath.Join(repoRoot(t), "node_modules", "vnu-jar", "build", "dist", "vnu.jar")
	if _, err := os.Stat(jar); err != nil {
		unavailable(t, "the Nu HTML Checker is not installed (%v): run `npm ci` in the repository root", err)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		unavailable(t, "no java for the Nu HTML Checker: apt-get install default-jre-headless")
	}
	files := make([]string, 0, len(b.pages))
	for f := range b.pages {
		files = append(files, filepath.Join(b.dir, f))
	}
	sort.Strings(files)
	start := time.Now()
	// A larger thread stack, as vnu's documentation advises: its parser
	// recurses with the nesting of the document.
	args := append([]string{"-Xss8m", "-jar", jar, "--errors-only", "--format", "json", "--exit-zero-always"}, files...)
	cmd := exec.Command(java, args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("vnu: %v\n%s%s", err, out.String(), stderr.String())
	}
	// vnu writes its JSON report to standard error.
	report := stderr.Bytes()
	if len(bytes.TrimSpace(report)) == 0 {
		report = out.Bytes()
	}
	var res struct {
		Messages []vnuMessage `json:"messages"`
	}
	if err := json.Unmarshal(report, &res); err != nil {
		t.Fatalf("vnu report: %v\n%s", err, report)
	}
	errs := 0
	for _, m := range res.Messages {
		if m.Type != "error" && m.Type != "non-document-error" {
			continue
		}
		errs++
		page := "?"
		if u, err := url.Parse(m.URL); err == nil {
			page = b.pages[filepath.Base(u.Path)]
		}
		t.Errorf("%s: invalid HTML at line %d: %s\n\t%s", page, m.LastLine, m.Message, strings.ReplaceAll(m.Extract, "\n", "\\n"))
	}
	t.Logf("HTML validation (vnu): %d pages in %s, %d errors, %s", len(files), validationLang, errs, time.Since(start).Round(100*time.Millisecond))
}
