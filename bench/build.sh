#!/usr/bin/env bash
# Side-by-side build benchmark: a 10-instruction Dockerfile (FROM the
# imported busybox `bench`, COPY of a 50 MB context of many files, RUN,
# ENV, WORKDIR, LABEL, EXPOSE, ...) built with the classic builder
# (DOCKER_BUILDKIT=0 docker build) by Berth and, when its engine is
# installed (or BENCH_INSTALL_DOCKER=1), by Docker in the same run: a cold
# build (previous result removed, cache pruned, --no-cache) and a fully
# cached rebuild. Prints medians of N runs and ratios.
#
# Everything runs on private roots/sockets/bridges; a system daemon is
# never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap bench_cleanup EXIT
N=${N:-3}
FILES=${FILES:-800} # 800 files of 64 KiB: 50 MiB
export DOCKER_BUILDKIT=0

# --- the context: FILES files in 20 directories, plus the Dockerfile
ctx=$BENCH_WORK/ctx
mkdir -p "$ctx/data"
for d in $(seq -w 0 19); do mkdir -p "$ctx/data/d$d"; done
head -c $((FILES * 65536)) /dev/urandom | split -b 65536 -a 4 -d - "$ctx/data/f"
i=0
for f in "$ctx"/data/f*; do mv "$f" "$ctx/data/d$(printf %02d $((i % 20)))/"; i=$((i + 1)); done
cat >"$ctx/Dockerfile" <<'EOF'
FROM bench
ARG VERSION=1
ENV APP=/app MODE=bench
WORKDIR /app
COPY data/ /app/data/
RUN echo "built $VERSION" > /app/built.txt
LABEL org.example.bench=build version=1
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["sh", "-c", "echo hello"]
EOF
echo "context: $FILES files, $(du -sm "$ctx" | cut -f1) MB; Dockerfile: $(grep -c . "$ctx/Dockerfile") instructions"

# --- the engines
bench_image
bench_start_berth
bench_start_docker
B() { DOCKER_HOST=$BH "$DOCKER_CLI" "$@"; }
D() { DOCKER_HOST=$DH "$DOCKER_CLI" "$@"; }

# timed ENGINE FILE ARGS...: run `docker build ARGS` against ENGINE,
# appending its duration (ns) to FILE.
timed() {
	local e=$1 f=$2 t0 t1
	shift 2
	sync # the other engine's writeback must not land in this build's time
	t0=$(now)
	"$e" build -q "$@" "$ctx" >/dev/null 2>"$BENCH_WORK/build.err" || { cat "$BENCH_WORK/build.err"; return 1; }
	t1=$(now)
	echo $((t1 - t0)) >>"$f"
}

# cold ENGINE FILE: remove the previous result (and its step images) and
# the build cache, then build without cache.
cold() {
	"$1" rmi -f benchbuild >/dev/null 2>&1 || true
	"$1" builder prune -af >/dev/null 2>&1 || true
	timed "$1" "$2" --no-cache -t benchbuild
}

w=$BENCH_WORK
: >"$w/bcold.t"; : >"$w/dcold.t"; : >"$w/bhot.t"; : >"$w/dhot.t"
for _ in $(seq "$N"); do
	cold B "$w/bcold.t"
	[ -z "$have_docker" ] || cold D "$w/dcold.t"
done
# The last cold build fills the cache: every rebuild is fully cached.
for _ in $(seq "$N"); do
	timed B "$w/bhot.t" -t benchbuild
	[ -z "$have_docker" ] || timed D "$w/dhot.t" -t benchbuild
done
B run --rm benchbuild sh -c 'read l </app/built.txt; echo "$l"' | grep -q "built 1" || { echo "Berth's image is wrong"; exit 1; }

bcold=$(median <"$w/bcold.t"); bhot=$(median <"$w/bhot.t")
echo "median of $N (ms), DOCKER_BUILDKIT=0 docker build against each engine:"
printf "  %-10s %10s %10s\n" "" cold cached
printf "  %-10s %10s %10s\n" Berth "$bcold" "$bhot"
if [ -n "$have_docker" ]; then
	dcold=$(median <"$w/dcold.t"); dhot=$(median <"$w/dhot.t")
	printf "  %-10s %10s %10s   (Docker %s)\n" Docker "$dcold" "$dhot" "$(dockerd --version | awk '{print $3}' | tr -d ,)"
	echo "  Berth is $(ratio "$dcold" "$bcold")x faster cold, $(ratio "$dhot" "$bhot")x faster fully cached"
else
	echo "  (Docker's engine not installed: BENCH_INSTALL_DOCKER=1 installs Debian's docker.io for the comparison)"
fi
