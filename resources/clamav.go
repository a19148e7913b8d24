package resources

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/circularfairict/portal/fault"
)

// scanClamAV sends r to clamd on a unix socket with the INSTREAM command
// and returns a fault naming the signature when clamd finds something. A
// scanner that cannot be reached refuses the upload (fail closed).
func scanClamAV(ctx context.Context, socket string, r io.Reader) error {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(dctx, "unix", socket)
	if err != nil {
		return fault.Wrap(fault.Unavailable, fmt.Errorf("resources: clamd: %w", err), "library.error.scanner")
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
	}
	if _, err := conn.Write([]byte("zINSTREAM\x00")); err != nil {
		return fault.Wrap(fault.Unavailable, err, "library.error.scanner")
	}
	buf := make([]byte, 64<<10)
	var size [4]byte
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			binary.BigEndian.PutUint32(size[:], uint32(n))
			if _, err := conn.Write(size[:]); err != nil {
				return fault.Wrap(fault.Unavailable, err, "library.error.scanner")
			}
			if _, err := conn.Write(buf[:n]); err != nil {
				return fault.Wrap(fault.Unavailable, err, "library.error.scanner")
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fault.Wrap(fault.Internal, rerr, "error.500")
		}
	}
	if _, err := conn.Write([]byte{0, 0, 0, 0}); err != nil {
		return fault.Wrap(fault.Unavailable, err, "library.error.scanner")
	}
	reply, err := io.ReadAll(io.LimitReader(conn, 4096))
	if err != nil {
		return fault.Wrap(fault.Unavailable, err, "library.error.scanner")
	}
	ans := strings.TrimSpace(string(bytes.TrimRight(reply, "\x00")))
	switch {
	case strings.HasSuffix(ans, " OK"):
		return nil
	case strings.HasSuffix(ans, " FOUND"):
		sig := strings.TrimSuffix(strings.TrimPrefix(ans, "stream: "), " FOUND")
		return refused("virus", sig)
	}
	return fault.Wrap(fault.Unavailable, fmt.Errorf("resources: clamd answered %q", ans), "library.error.scanner")
}
