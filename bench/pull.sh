#!/usr/bin/env bash
# Side-by-side pull/push benchmark: an image of >=100 MB in 6 layers (host
# files: compressible like real images) served by Debian's docker-registry
# on 127.0.0.1, pulled (after rmi) and pushed (to a fresh registry) by Berth
# and, when its engine is installed (or BENCH_INSTALL_DOCKER=1), by Docker
# in the same run. Prints medians and ratios.
#
# Everything runs on private roots/sockets/bridges and ports; a system
# daemon or registry is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${N:-3}
REGISTRY=${REGISTRY:-/usr/bin/docker-registry}
work=$BENCH_WORK
reg_pid=
cleanup() {
	set +e # a killed registry's exit status must not end the cleanup early
	[ -n "$reg_pid" ] && { kill "$reg_pid"; wait "$reg_pid" 2>/dev/null; }
	bench_cleanup
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_registry DIR: start a registry storing in DIR on a free port; sets reg
start_registry() {
	local dir=$1 port
	port=$(freeport)
	mkdir -p "$dir"
	printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$dir/data" "$port" >"$dir/config.yml"
	"$REGISTRY" serve "$dir/config.yml" >"$dir/log" 2>&1 &
	reg_pid=$!
	for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
	reg=127.0.0.1:$port
}
stop_registry() { kill "$reg_pid"; wait "$reg_pid" 2>/dev/null || true; reg_pid=; }

# --- the image: a docker-archive with 6 layers of host files (>=100 MB)
img=$work/img
mkdir -p "$img/layers"
srcs=(/usr/lib/x86_64-linux-gnu /usr/share /usr/bin /usr/lib/go* /usr/local/go /var/lib/dpkg /usr/libexec /usr/sbin)
diffs=() layers=() total=0
for s in "${srcs[@]}"; do
	[ -d "$s" ] || continue
	[ ${#layers[@]} -ge 6 ] && break
	n=${#layers[@]}
	tar --exclude='*.pyc' -C / -cf "$img/layers/$n.tar" --hard-dereference "${s#/}" 2>/dev/null || true
	sz=$(stat -c %s "$img/layers/$n.tar")
	[ "$sz" -lt 1000000 ] && { rm -f "$img/layers/$n.tar"; continue; }
	# cap each layer at ~30 MB so the total stays reasonable
	if [ "$sz" -gt 31457280 ]; then
		tar -C / -cf "$img/layers/$n.tar" $(cd / && find "${s#/}" -type f -size -2M 2>/dev/null | head -1500) 2>/dev/null || true
		sz=$(stat -c %s "$img/layers/$n.tar")
	fi
	layers+=("layers/$n.tar"); diffs+=("sha256:$(sha256sum "$img/layers/$n.tar" | cut -d' ' -f1)"); total=$((total + sz))
done
python3 - "$img" "${#layers[@]}" "${diffs[@]}" <<'PY'
import json, hashlib, sys, os
d, n, diffs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
cfg = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
       "rootfs": {"type": "layers", "diff_ids": diffs},
       "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "layer %d" % i} for i in range(n)]}
raw = json.dumps(cfg).encode()
h = hashlib.sha256(raw).hexdigest()
open(os.path.join(d, h + ".json"), "wb").write(raw)
json.dump([{"Config": h + ".json", "RepoTags": ["pullbench:latest"], "Layers": ["layers/%d.tar" % i for i in range(n)]}], open(os.path.join(d, "manifest.json"), "w"))
PY
tar -C "$img" -cf "$work/image.tar" .
echo "image: ${#layers[@]} layers, $((total / 1048576)) MB uncompressed"

# --- the engines
bench_image
bench_start_berth
bench_start_docker
B() { DOCKER_HOST=$BH "$DOCKER_CLI" "$@"; }
D() { DOCKER_HOST=$DH "$DOCKER_CLI" "$@"; }
B load -i "$work/image.tar" >/dev/null
[ -z "$have_docker" ] || D load -i "$work/image.tar" >/dev/null

# --- push: each engine pushes to a fresh, empty registry (compression included)
: >"$work/bpush.t"; : >"$work/dpush.t"; : >"$work/bpull.t"; : >"$work/dpull.t"
for i in $(seq "$N"); do
	start_registry "$work/reg-b$i"
	B tag pullbench "$reg/bench/img:v1"
	t0=$(now); B push -q "$reg/bench/img:v1" >/dev/null; t1=$(now); echo $((t1 - t0)) >>"$work/bpush.t"
	stop_registry
	if [ -n "$have_docker" ]; then
		start_registry "$work/reg-d$i"
		D tag pullbench "$reg/bench/img:v1"
		t0=$(now); D push -q "$reg/bench/img:v1" >/dev/null; t1=$(now); echo $((t1 - t0)) >>"$work/dpush.t"
		stop_registry
	fi
done

# --- pull: one registry holding the image (pushed by Berth), rmi then pull
start_registry "$work/reg-pull"
B tag pullbench "$reg/bench/img:v1"
B push -q "$reg/bench/img:v1" >/dev/null
echo "compressed: $(du -sm "$work/reg-pull/data" | cut -f1) MB in the registry"
# rmall ENGINE: remove every image (and so every layer) of an engine
rmall() { local ids; ids=$("$1" images -q | sort -u); [ -z "$ids" ] || "$1" rmi -f $ids >/dev/null; }
for i in $(seq "$N"); do
	rmall B
	t0=$(now); B pull -q "$reg/bench/img:v1" >/dev/null; t1=$(now); echo $((t1 - t0)) >>"$work/bpull.t"
	if [ -n "$have_docker" ]; then
		rmall D
		t0=$(now); D pull -q "$reg/bench/img:v1" >/dev/null; t1=$(now); echo $((t1 - t0)) >>"$work/dpull.t"
	fi
done

bpull=$(median <"$work/bpull.t"); bpush=$(median <"$work/bpush.t"); bpush1=$(head -1 "$work/bpush.t" | median)
echo "median of $N (ms), docker CLI against each engine:"
printf "  %-10s %8s %8s\n" "" pull push
printf "  %-10s %8s %8s   (first push, compressing: %s)\n" Berth "$bpull" "$bpush" "$bpush1"
if [ -n "$have_docker" ]; then
	dpull=$(median <"$work/dpull.t"); dpush=$(median <"$work/dpush.t")
	printf "  %-10s %8s %8s   (Docker %s)\n" Docker "$dpull" "$dpush" "$(dockerd --version | awk '{print $3}' | tr -d ,)"
	printf "  Berth is %.1fx faster at pull, %.1fx at push (%.1fx on its first, compressing push)\n" \
		"$(echo "$dpull / $bpull" | bc -l)" "$(echo "$dpush / $bpush" | bc -l)" "$(echo "$dpush / $bpush1" | bc -l)"
else
	echo "  (Docker's engine not installed: BENCH_INSTALL_DOCKER=1 installs Debian's docker.io for the comparison)"
fi
