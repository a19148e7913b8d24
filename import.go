package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/frontend"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/search"
)

// importCmd runs `portal import DIR`: a manifest (manifest.json or
// manifest.csv) plus files become resources owned by --owner, with a
// progress bar and a summary of what was imported and what was refused.
func importCmd(args []string, stdout io.Writer, env config.Env) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	owner := fs.String("owner", "", "e-mail address of the member who shares the resources (required)")
	dataDir := fs.String("data", "", "data directory (PORTAL_DATA_DIR)")
	// Flags may come before or after DIR.
	var dir string
	rest := args
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("import: %v", err)
		}
		rest = fs.Args()
		if len(rest) > 0 {
			if dir != "" {
				return errors.New("import: give one directory")
			}
			dir, rest = rest[0], rest[1:]
		}
	}
	if dir == "" || *owner == "" {
		return errors.New("import: usage: portal import DIR --owner EMAIL")
	}
	entries, err := resources.ReadManifest(dir)
	if err != nil {
		return fmt.Errorf("import: %v", err)
	}
	cfg, err := config.Load(config.ModeCLI, overrideEnv(env, map[string]*string{"PORTAL_DATA_DIR": dataDir}))
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := openCurrent(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	if err := st.EnsureIndexes(ctx, append(auth.Indexes(), resources.Indexes()...)); err != nil {
		return err
	}
	a := auth.NewStore(st.DB)
	m, err := a.MemberByEmail(ctx, *owner)
	if errors.Is(err, auth.ErrNotFound) {
		m, err = a.MemberByIdentity(ctx, auth.DemoProvider, *owner) // demo personas have no address
	}
	if err != nil {
		return fmt.Errorf("import: --owner %s: no such member", *owner)
	}
	if !auth.CanShareResource(m) {
		return fmt.Errorf("import: --owner %s is not an approved member", *owner)
	}
	lib, err := resources.New(st.DB, resources.Options{MaxBytes: int64(cfg.UploadMaxBytes), ClamAVSocket: cfg.ClamAVSocket})
	if err != nil {
		return err
	}
	// Servers running beside the import read its resources from the change
	// log at their next sweep.
	lib.SetChangeLog(search.NewLog(st.DB))
	catalog, err := frontend.LoadCatalog(frontend.Locales())
	if err != nil {
		return err
	}
	group := func(slug string) (string, error) {
		g, err := a.GroupBySlug(ctx, slug)
		if err != nil {
			return "", errors.New("no such group")
		}
		if !auth.CanPublishToGroup(m, g) {
			return "", errors.New("the owner is not a member of this group")
		}
		return g.ID, nil
	}
	tty := isTerminal(stdout)
	outcomes := lib.Import(ctx, dir, m.ID, entries, group, func(i int, o resources.ImportOutcome) {
		fmt.Fprint(stdout, progressLine(i+1, len(entries), o.Entry.File, tty))
	})
	if tty {
		fmt.Fprintln(stdout)
	}
	var created, existing int
	var refused []string
	for _, o := range outcomes {
		switch {
		case o.Err != nil:
			refused = append(refused, fmt.Sprintf("  %s: %s", o.Entry.File, reason(catalog, o.Err)))
		case o.Created:
			created++
		default:
			existing++
		}
	}
	fmt.Fprintf(stdout, "imported %d, already present %d, refused %d\n", created, existing, len(refused))
	for _, r := range refused {
		fmt.Fprintln(stdout, r)
	}
	if len(refused) > 0 {
		return fmt.Errorf("import: %d of %d files refused", len(refused), len(entries))
	}
	return nil
}

// reason explains a refusal in English: validation and file checks carry
// message keys; anything else is an unexpected error.
func reason(c *frontend.Catalog, err error) string {
	var fes resources.FieldErrors
	if errors.As(err, &fes) {
		var parts []string
		for _, fe := range fes {
			parts = append(parts, fe.Field+": "+c.T("en", fe.Key, fe.Args...))
		}
		return strings.Join(parts, "; ")
	}
	if fe, ok := fault.As(err); ok {
		return c.T("en", fe.Key, fe.Args...)
	}
	return err.Error()
}

// progressLine draws a bar on a terminal, or one line per file otherwise.
func progressLine(done, total int, name string, tty bool) string {
	if !tty {
		return fmt.Sprintf("[%d/%d] %s\n", done, total, name)
	}
	const width = 30
	filled := width * done / max(total, 1)
	if len(name) > 40 {
		name = "…" + name[len(name)-39:]
	}
	return fmt.Sprintf("\r[%s%s] %3d%% %d/%d %-40s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), 100*done/max(total, 1), done, total, name)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
