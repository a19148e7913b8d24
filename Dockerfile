# syntax=docker/dockerfile:1
#
# Container image of the portal: a static Go binary on a distroless base.
#   docker build --build-arg VERSION=$(git describe --always --dirty) -t portal .
# compose.yaml builds and runs it next to a MongoDB replica set.

# --- build -------------------------------------------------------------------
FROM golang:1.26-bookworm AS build
WORKDIR /src

# Modules first: they are downloaded again only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
# The version the footer and `portal version` show. The build context holds
# no git history (.dockerignore), so the commit cannot be read here: release
# builds pass it (compose.yaml passes PORTAL_VERSION). Left empty, the binary
# says "dev".
ARG VERSION=
# No cgo: the embedded database's SQLite is pure Go, so the binary is fully
# static and runs on an image without a C library.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o /out/portal .

# --- runtime -----------------------------------------------------------------
# No shell, no package manager, CA certificates and tzdata only.
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/portal /portal

# The image's "nonroot" user, by number so that runtimes which check for a
# non-root user (Kubernetes runAsNonRoot) can verify it.
USER 65532:65532
# nonroot's home is the only writable directory of the image: the default
# PORTAL_DATA_DIR (./data) lands there when no MONGODB_URI is given. Mount a
# volume on /home/nonroot/data to keep an embedded database.
WORKDIR /home/nonroot

EXPOSE 8080

# distroless has no curl: the binary checks itself (GET /healthz on
# 127.0.0.1 at PORTAL_ADDR's port, exit status 0 or 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/portal", "healthcheck"]

ENTRYPOINT ["/portal"]
CMD ["serve"]
