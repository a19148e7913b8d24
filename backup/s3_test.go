package backup_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/circularfairict/portal/backup"
	"github.com/circularfairict/portal/config"
)

// s3Server is a real S3-compatible server (SeaweedFS's S3 gateway, with its
// master, volume and filer) started for one test on loopback.
type s3Server struct {
	cfg    config.S3
	client *minio.Client
}

// weedBinary is where scripts/s3-test-server.sh builds SeaweedFS
// (PORTAL_S3_TEST_SERVER overrides it).
func weedBinary() string {
	if p := os.Getenv("PORTAL_S3_TEST_SERVER"); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "portal-test-bin", "weed")
}

// freePorts returns n loopback ports that were free a moment ago, below
// 55000: SeaweedFS puts some gRPC ports 10000 above the HTTP ones.
func freePorts(t *testing.T, n int) []int {
	var out []int
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if p < 55000 {
			out = append(out, p)
		}
	}
	return out
}

func startS3(t *testing.T) *s3Server {
	t.Helper()
	bin := weedBinary()
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("PORTAL_REQUIRE_S3") != "" {
			t.Fatalf("PORTAL_REQUIRE_S3 is set but the S3 test server is not built at %s: run scripts/s3-test-server.sh", bin)
		}
		t.Skipf("no S3 test server at %s (build it with scripts/s3-test-server.sh; PORTAL_REQUIRE_S3=1 makes this a failure)", bin)
	}
	dir := tempDir(t)
	const access, secret = "portalbackup", "s3cret-for-the-test"
	conf := fmt.Sprintf(`{"identities":[{"name":"portal","credentials":[{"accessKey":%q,"secretKey":%q}],"actions":["Admin","Read","Write","List","Tagging"]}]}`, access, secret)
	if err := os.WriteFile(filepath.Join(dir, "s3.json"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	p := freePorts(t, 8)
	cmd := exec.Command(bin, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir="+filepath.Join(dir, "data"),
		fmt.Sprintf("-master.port=%d", p[0]), fmt.Sprintf("-master.port.grpc=%d", p[1]),
		fmt.Sprintf("-volume.port=%d", p[2]), fmt.Sprintf("-volume.port.grpc=%d", p[3]),
		"-filer", fmt.Sprintf("-filer.port=%d", p[4]), fmt.Sprintf("-filer.port.grpc=%d", p[5]), "-filer.localSocket="+filepath.Join(dir, "f.sock"),
		"-s3", fmt.Sprintf("-s3.port=%d", p[6]), fmt.Sprintf("-s3.port.grpc=%d", p[7]), "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-s3.config="+filepath.Join(dir, "s3.json"), "-s3.iam=false", "-master.volumeSizeLimitMB=64", "-volume.max=4")
	logf, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logf.Close()
	})
	s := &s3Server{cfg: config.S3{Endpoint: fmt.Sprintf("127.0.0.1:%d", p[6]), Bucket: "portal-backups", Prefix: "community/",
		AccessKey: access, SecretKey: secret, Region: "us-east-1", PathStyle: true}}
	s.client, err = minio.New(s.cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: s.cfg.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	// The gateway answers before its filer is ready: wait until a bucket
	// can be made.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = s.client.MakeBucket(ctx, s.cfg.Bucket, minio.MakeBucketOptions{Region: s.cfg.Region})
		cancel()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "weed.log"))
			t.Fatalf("the S3 test server did not come up: %v\n%s", err, log[max(0, len(log)-4000):])
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func (s *s3Server) keys(t *testing.T) []string {
	t.Helper()
	var out []string
	for o := range s.client.ListObjects(context.Background(), s.cfg.Bucket, minio.ListObjectsOptions{Prefix: s.cfg.Prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

func (s *s3Server) sum(t *testing.T, key string) [32]byte {
	t.Helper()
	o, err := s.client.GetObject(context.Background(), s.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	h := sha256.New()
	if _, err := io.Copy(h, o); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// Each archive is uploaded to a real S3-compatible server, byte for byte;
// retention deletes the oldest object there too; a wrong secret is a
// failed upload, recorded, with the local archive kept.
func TestBackupUploadsToS3(t *testing.T) {
	srv := startS3(t)
	st := seeded(t)
	dir := t.TempDir()
	up, err := backup.NewS3(srv.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := backup.NewScheduler(st, backup.SchedulerOptions{Dir: dir, Keep: 2, S3: up})
	ctx := context.Background()
	slot := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	var runs []*backup.Run
	for i := range 3 {
		r, ok, err := s.Scheduled(ctx, slot.Add(time.Duration(i)*time.Hour))
		if err != nil || !ok {
			t.Fatalf("slot %d: %v %v", i, ok, err)
		}
		if r.Result != backup.ResultOK || r.Upload == nil || r.Upload.Result != backup.ResultOK {
			t.Fatalf("run %d: %+v upload %+v", i, r, r.Upload)
		}
		if !strings.HasPrefix(r.Upload.Key, srv.cfg.Prefix) {
			t.Errorf("key %q is not under the prefix", r.Upload.Key)
		}
		if i < 2 && srv.sum(t, r.Upload.Key) != fileSum(t, filepath.Join(dir, r.File)) {
			t.Fatalf("the uploaded object differs from the archive")
		}
		runs = append(runs, r)
		time.Sleep(10 * time.Millisecond) // distinct start times order the runs
	}
	keys := srv.keys(t)
	if len(keys) != 2 || strings.Contains(strings.Join(keys, " "), runs[0].Upload.Key) {
		t.Fatalf("after retention the bucket holds %v; the oldest was %s", keys, runs[0].Upload.Key)
	}
	recorded, _ := s.Runs(ctx, 0)
	if !recorded[2].Upload.Pruned || recorded[0].Upload.Pruned {
		t.Errorf("retention is not recorded: %+v %+v", recorded[2].Upload, recorded[0].Upload)
	}

	bad := srv.cfg
	bad.SecretKey = "not-the-secret"
	wrong, err := backup.NewS3(bad)
	if err != nil {
		t.Fatal(err)
	}
	s2 := backup.NewScheduler(st, backup.SchedulerOptions{Dir: dir, Keep: 2, S3: wrong})
	r, err := s2.Start(ctx, "manual", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	s2.Execute(ctx, r)
	recorded, _ = s2.Runs(ctx, 1)
	got := recorded[0]
	if got.Result != backup.ResultOK || got.Upload == nil || got.Upload.Result != backup.ResultFailed || !strings.Contains(got.Upload.Error, "SignatureDoesNotMatch") {
		t.Fatalf("wrong secret: %+v upload %+v", got, got.Upload)
	}
	if strings.Contains(got.Upload.Error, "not-the-secret") {
		t.Error("the recorded error shows the secret")
	}
	if fileSum(t, filepath.Join(dir, got.File)) == [32]byte{} || !got.Downloadable() {
		t.Error("the local archive was lost")
	}
	t.Logf("failed upload recorded as: %s", got.Upload.Error)
}
