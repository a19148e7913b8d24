package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circularfairict/portal/resources/samples"
	"github.com/circularfairict/portal/store"
)

func TestImportIdempotent(t *testing.T) {
	dir := tempDir(t)
	env := map[string]string{"PORTAL_DATA_DIR": dir}
	if code, _, stderr := runCLI(t, env, "user", "add", "--email", "buyer@example.org", "--name", "Bea Buyer", "--role", "member"); code != 0 {
		t.Fatal(stderr)
	}
	src := t.TempDir()
	files := map[string][]byte{
		"laptops.pdf":     samples.PDF("Laptop criteria", "Six years of updates."),
		"clauses/dd.docx": samples.DOCX("Due diligence clause", "Factory disclosure."),
		"fake.pdf":        []byte(samples.HTML),
		"untyped.txt":     []byte("no type given\n"),
		"grille.csv":      []byte("critère,points\nécolabel,10\n"),
	}
	for name, b := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	manifest := "file,title,summary,type,languages,products,themes,licence,visibility,country\n" +
		"laptops.pdf,Laptop criteria,Lifetime criteria,criteria_set,en,laptops,lifetime_extension;repairability,cc_by,public,NL\n" +
		"clauses/dd.docx,Due diligence clause,Factory disclosure,contract_clause,en;fr,all_ict,hrdd,cc_by_sa,members,FR\n" +
		"grille.csv,Grille d'attribution,Points pour écolabels,tool,fr,laptops,ecolabels,cc0,public,BE\n" +
		"fake.pdf,Invoice,Looks like a PDF,report,en,,,cc_by,public,\n" +
		"untyped.txt,Untyped,No type,,en,,,cc_by,public,\n" +
		"../../etc/passwd,Escape,Outside the directory,report,en,,,cc_by,public,\n"
	if err := os.WriteFile(filepath.Join(src, "manifest.csv"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := []struct {
		name, summary string
	}{
		{"first run", "imported 3, already present 0, refused 3"},
		{"second run", "imported 0, already present 3, refused 3"},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, env, "import", src, "--owner", "buyer@example.org")
			if code != 1 || !strings.Contains(out, r.summary) {
				t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
			}
			for _, want := range []string{"fake.pdf: Web pages (HTML) are not accepted", "untyped.txt: type: Choose the type", "../../etc/passwd: file", "[6/6]"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if n, _ := st.DB.Collection("resources").CountDocuments(ctx, map[string]any{}); n != 3 {
		t.Fatalf("%d resources after two runs, want 3", n)
	}
	if code, _, stderr := runCLI(t, env, "import", src, "--owner", "nobody@example.org"); code != 1 || !strings.Contains(stderr, "no such member") {
		t.Fatalf("unknown owner: %d %s", code, stderr)
	}
}
