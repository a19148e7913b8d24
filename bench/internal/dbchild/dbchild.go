// Package dbchild runs the embedded database of a data directory in a child
// process of a benchmark, so that the database's work is measured apart from
// the server's (the "-separate-db" runs of bench/library and
// bench/community): the same binary, started again with -db-child DIR.
package dbchild

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/circularfairict/portal/store"
)

// Flag is the flag the child is started with.
const Flag = "db-child"

// Serve owns the embedded database of dir, says "ready" on stdout and
// serves it until stdin closes: the parent's end of the child.
func Serve(ctx context.Context, dir string) error {
	st, err := store.Open(ctx, store.Options{DataDir: dir, Owner: true})
	if err != nil {
		return err
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return st.Close(ctx)
}

// Start runs this binary again as the child serving dir and returns once
// the database answers; stop ends the child (closing its stdin) and waits.
func Start(dir string) (stop func(), err error) {
	child := exec.Command(os.Args[0], "-"+Flag, dir)
	stdin, err := child.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := child.StdoutPipe()
	if err != nil {
		return nil, err
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		return nil, err
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		_ = stdin.Close()
		_ = child.Wait()
		return nil, fmt.Errorf("database child: %q", line)
	}
	return func() { _ = stdin.Close(); _ = child.Wait() }, nil
}
