// Command startup measures the time from process start to the first
// successful GET /readyz for `portal demo` on the embedded database: on a
// fresh data directory (database created and demo community seeded) and on a
// restart over existing data. It builds the portal binary first unless
// -binary is given.
//
//	go run ./bench/startup -runs 10
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"
)

func main() {
	runs := flag.Int("runs", 10, "measurements per scenario")
	binary := flag.String("binary", "", "portal binary to run (default: build one)")
	flag.Parse()

	work, err := os.MkdirTemp("", "pbench")
	check(err)
	defer os.RemoveAll(work)
	bin := *binary
	if bin == "" {
		bin = filepath.Join(work, "portal")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		check(build.Run())
	}
	fmt.Printf("machine: %s/%s, %d CPUs; runs per scenario: %d\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), *runs)
	var fresh, warm []time.Duration
	for i := 0; i < *runs; i++ {
		dir := filepath.Join(work, "d"+strconv.Itoa(i))
		fresh = append(fresh, measure(bin, dir))
		warm = append(warm, measure(bin, dir))
	}
	report("fresh data directory (create + seed)", fresh)
	report("restart on existing data", warm)
}

func measure(bin, dataDir string) time.Duration {
	port := freePort()
	cmd := exec.Command(bin, "demo", "--data", dataDir)
	cmd.Env = append(os.Environ(), "PORTAL_ADDR=127.0.0.1:"+strconv.Itoa(port), "PORTAL_LOG_LEVEL=error")
	url := fmt.Sprintf("http://127.0.0.1:%d/readyz", port)
	client := &http.Client{Timeout: time.Second}
	start := time.Now()
	check(cmd.Start())
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	deadline := start.Add(60 * time.Second)
	for time.Now().Before(deadline) {
		res, err := client.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(start)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, "portal did not become ready within 60 s")
	os.Exit(1)
	return 0
}

func report(name string, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	ms := func(x time.Duration) string { return fmt.Sprintf("%.0f ms", float64(x.Microseconds())/1000) }
	fmt.Printf("%-40s median %s  min %s  max %s\n", name+":", ms(d[len(d)/2]), ms(d[0]), ms(d[len(d)-1]))
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}
