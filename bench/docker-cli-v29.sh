#!/usr/bin/env bash
# Builds docker CLI v29 from source (through the Go module proxy) and prints
# its path. The docker CLI v28 installed here renders `docker stats
# --no-stream` on its first 500 ms display tick, whatever the engine; v29
# prints as soon as every container has a sample. bench/runtime.sh times
# both when BENCH_DOCKER_CLI_V29=1.
#
# docker/cli has no go.mod (it keeps vendor.mod), so it is built as a
# dependency of a throw-away module that requires what its vendor.mod lists.
set -euo pipefail
VERSION=v29.7.2
out=${XDG_CACHE_HOME:-$HOME/.cache}/berth-bench/docker-cli-$VERSION
if [ -x "$out/docker" ]; then echo "$out/docker"; exit 0; fi
mkdir -p "$out"
cd "$out"
GOFLAGS=-mod=mod go mod download "github.com/docker/cli@$VERSION+incompatible" >&2
vendor_mod=$(go env GOMODCACHE)/github.com/docker/cli@$VERSION+incompatible/vendor.mod
{
	printf 'module dockercli\n\ngo 1.25.0\n\nrequire github.com/docker/cli %s+incompatible\n\n' "$VERSION"
	awk '/^require \(/ {p=1} p {print} /^\)/ {if (p) {p=0; print ""}}' "$vendor_mod"
} >go.mod
printf '//go:build tools\n\npackage dockercli\n\nimport _ "github.com/docker/cli/cmd/docker"\n' >tools.go
go mod tidy >&2
CGO_ENABLED=0 go build -ldflags "-X github.com/docker/cli/cli/version.Version=${VERSION#v}" \
	-o "$out/docker" github.com/docker/cli/cmd/docker >&2
echo "$out/docker"
