#!/usr/bin/env bash
# `stats --no-stream` over N running containers (default 50), through the
# berth CLI and the docker CLI against one private Berth daemon: medians of
# 5 runs. The docker CLI (v28) adds a fixed 500 ms render tick of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-50}
BERTH=${BERTH:-$PWD/bin/berth}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
work=$(mktemp -d /tmp/berth-statsbench.XXXXXX)
run=/run/berth-statsbench
pid=
cleanup() {
	set +e
	if [ -n "$pid" ]; then
		DOCKER_HOST=unix://$run/berth.sock "$DOCKER_CLI" rm -f $(DOCKER_HOST=unix://$run/berth.sock "$DOCKER_CLI" ps -aq) >/dev/null 2>&1
		kill "$pid"; wait "$pid" 2>/dev/null
	fi
	ip link del berths0 2>/dev/null; nft delete table ip berth-berths0 2>/dev/null
	for d in /sys/fs/cgroup/*/berth-statsbench; do [ -d "$d" ] && rmdir "$d"/* "$d" 2>/dev/null; done
	grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	grep -o " $run[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$work" "$run"
}
trap cleanup EXIT
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1e6}'; }

rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev}
cp /bin/busybox "$rootfs/bin/"
for a in sh sleep; do ln -s busybox "$rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
tar -C "$rootfs" -cf "$work/busybox.tar" .

mkdir -p "$run"
echo "{}" >"$work/daemon.json"
"$BERTH" daemon --data-root "$work/berth" --exec-root "$run" -H "unix://$run/berth.sock" \
	--bridge berths0 --cgroup-parent berth-statsbench --config-file "$work/daemon.json" >"$work/berth.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$run/berth.sock" ] && break; sleep 0.1; done
export BERTH_HOST=unix://$run/berth.sock DOCKER_HOST=unix://$run/berth.sock
"$BERTH" import "$work/busybox.tar" bench:latest >/dev/null
for i in $(seq "$N"); do "$BERTH" run -d -m 64m bench sleep 600 >/dev/null; done

for i in 1 2 3 4 5; do
	t0=$(now); "$BERTH" stats --no-stream >/dev/null; t1=$(now); echo $((t1 - t0)) >>"$work/berth.t"
	t0=$(now); "$DOCKER_CLI" stats --no-stream >/dev/null; t1=$(now); echo $((t1 - t0)) >>"$work/docker.t"
	t0=$(now); "$DOCKER_CLI" ps >/dev/null; t1=$(now); echo $((t1 - t0)) >>"$work/ps.t"
done
echo "stats --no-stream over $N running containers, median of 5 (ms):"
printf "  %-28s %8s\n" "berth CLI -> Berth" "$(median <"$work/berth.t")"
printf "  %-28s %8s   (docker ps: %s)\n" "docker CLI -> Berth" "$(median <"$work/docker.t")" "$(median <"$work/ps.t")"
