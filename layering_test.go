package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The dependency direction of docs/architecture.md ("Dependency direction"),
// as a table: for each package of the module (by its path inside the
// module; "" is the CLI), the portal packages its non-test code may import.
// A package's own subpackages are not implied: each edge is written out.
// "*" allows any portal package (the CLI, the tools, the HTTP adapter).
// A new package needs its row here, checked against the diagram.
var allowedImports = map[string][]string{
	// Above the features: wiring, the HTTP adapter, the workflows, tools.
	"":                       {"*"},
	"server":                 {"*"},
	"app":                    {"auth", "backup", "bus", "config", "fault", "forum", "frontend", "mail", "privacy", "resources", "search", "site", "store", "workshops", "workshops/live"},
	"demo":                   {"auth", "forum", "resources", "resources/samples", "workshops", "workshops/live", "site", "store", "fault"},
	"bench/internal/metrics": {},
	"bench/internal/dbchild": {"store"},
	"bench/community":        {"*"},
	"bench/library":          {"*"},
	"bench/liveload":         {"*"},
	"bench/soak":             {"*"},
	"bench/startup":          {"*"},
	"e2e":                    {"*"},
	"resilience":             {"*"},
	"cluster":                {"*"},

	// Features: they exchange IDs and small value types, never import one
	// another or Fiber.
	"auth":           {"store", "fault", "privacy", "search", "textindex"},
	"forum":          {"store", "fault", "privacy", "textindex", "glossary", "bus", "search"},
	"resources":      {"store", "fault", "privacy", "textindex", "glossary", "bus", "search"},
	"workshops":      {"store", "fault", "privacy", "bus", "workshops/live"},
	"workshops/live": {"store", "fault", "privacy", "bus"},
	"site":           {"store", "fault", "privacy"},
	"mail":           {"store", "fault", "privacy"},
	"backup":         {"store", "config"},
	// Test helpers over a feature, for the tests of the packages above it.
	"auth/authtest": {"auth"},

	// Below the features: shared by them, knowing none of them.
	"store":             {},
	"store/storetest":   {"store"},
	"bus":               {},
	"search":            {"store", "fault", "privacy", "bus", "textindex", "glossary"},
	"search/searchtest": {"search"},
	"bus/natstest":      {},
	"mail/mailtest":     {},
	"privacy":           {},
	"fault":             {},
	"config":            {},
	"gctune":            {"config"},
	"frontend":          {},
	"textindex":         {},
	"glossary":          {"textindex"},
	"relevance":         {},
	"resources/samples": {},
}

// fiberAllowed lists the only packages that may import Fiber or fasthttp.
var fiberAllowed = []string{"server"}

func isFiber(path string) bool {
	for _, p := range []string{"github.com/gofiber/", "github.com/valyala/fasthttp", "github.com/fasthttp/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// TestLayering lists the module's packages with `go list` and fails on any
// import the table above does not allow: a feature importing Fiber or
// another feature, a shared package importing a feature, or a package the
// table does not know yet.
func TestLayering(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-e", "-json=ImportPath,Imports,Module,Error", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	type pkg struct {
		ImportPath string
		Imports    []string
		Module     *struct{ Path string }
		Error      *struct{ Err string }
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Error != nil {
			t.Errorf("%s: %s", p.ImportPath, p.Error.Err)
			continue
		}
		mod := p.Module.Path
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod), "/")
		allowed, ok := allowedImports[rel]
		if !ok {
			t.Errorf("package %q is not in the layering table: add its row, from docs/architecture.md's dependency diagram", rel)
			continue
		}
		seen++
		var bad []string
		for _, imp := range p.Imports {
			if isFiber(imp) {
				if !slices.Contains(fiberAllowed, rel) {
					bad = append(bad, imp+" (only server/ imports Fiber)")
				}
				continue
			}
			if imp != mod && !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			to := strings.TrimPrefix(strings.TrimPrefix(imp, mod), "/")
			if !slices.Contains(allowed, "*") && !slices.Contains(allowed, to) {
				bad = append(bad, to)
			}
		}
		sort.Strings(bad)
		for _, b := range bad {
			t.Errorf("%s imports %s, which docs/architecture.md does not allow", orCLI(rel), b)
		}
	}
	if seen < 10 {
		t.Fatalf("only %d packages listed: go list found too little", seen)
	}
}

func orCLI(rel string) string {
	if rel == "" {
		return "the CLI (package main)"
	}
	return rel
}
