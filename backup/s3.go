package backup

import (
	"context"
	"fmt"
	"path"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/circularfairict/portal/config"
)

// S3 uploads archives to an S3-compatible bucket (any that speaks the S3
// API: the storage public bodies are offered, SeaweedFS, Ceph, Garage…).
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

// NewS3 returns the uploader for c; it does not contact the server.
func NewS3(c config.S3) (*S3, error) {
	lookup := minio.BucketLookupAuto
	if c.PathStyle {
		lookup = minio.BucketLookupPath
	}
	cl, err := minio.New(c.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""), Secure: c.Secure, Region: c.Region, BucketLookup: lookup})
	if err != nil {
		return nil, fmt.Errorf("PORTAL_BACKUP_S3_ENDPOINT: %v", err)
	}
	return &S3{client: cl, bucket: c.Bucket, prefix: c.Prefix}, nil
}

// put uploads the archive at file as name and says how it went, in words
// for the operator (the S3 server's error code and message, never the
// credentials).
func (s *S3) put(ctx context.Context, name, file, sum string) *Upload {
	u := &Upload{Bucket: s.bucket, Key: path.Join(s.prefix, name)}
	_, err := s.client.FPutObject(ctx, s.bucket, u.Key, file, minio.PutObjectOptions{
		ContentType: "application/zip", UserMetadata: map[string]string{"sha256": sum}})
	if err != nil {
		u.Result, u.Error = ResultFailed, s3Message(err)
		return u
	}
	u.Result = ResultOK
	return u
}

// remove deletes an uploaded archive.
func (s *S3) remove(ctx context.Context, key string) error {
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("backup: retention: delete s3://%s/%s: %s", s.bucket, key, s3Message(err))
	}
	return nil
}

func s3Message(err error) string {
	if r := minio.ToErrorResponse(err); r.Code != "" {
		msg := "the storage refused it: " + r.Code
		if r.Message != "" {
			msg += " (" + r.Message + ")"
		}
		return msg
	}
	return "the storage could not be reached or did not answer: " + err.Error()
}
