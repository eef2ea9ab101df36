#!/usr/bin/env bash
# Side-by-side container start benchmark: `run --rm IMAGE true` end to end
# through the CLI, for Berth and (when its engine is installed, or
# BENCH_INSTALL_DOCKER=1) Docker in the same run, alternating, plus bare
# `runc run` on the same rootfs as the floor. Prints medians and ratios.
#
# Everything runs on private roots/sockets/bridges: Berth on
# /run/berth-bench (bridge berthb0), Docker on /run/docker-bench (its own
# bridge docker-bench0 on 10.213.0.1/24), so a system daemon is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-30}
BERTH=${BERTH:-$PWD/bin/berth}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
brun=/run/berth-bench
drun=/run/docker-bench
berth_pid= docker_pid=

cleanup() {
	set +e
	if [ -n "$berth_pid" ]; then
		DOCKER_HOST=unix://$brun/berth.sock "$DOCKER_CLI" rm -f $(DOCKER_HOST=unix://$brun/berth.sock "$DOCKER_CLI" ps -aq) >/dev/null 2>&1
		kill "$berth_pid"; wait "$berth_pid" 2>/dev/null
	fi
	if [ -n "$docker_pid" ]; then
		kill "$docker_pid"; wait "$docker_pid" 2>/dev/null
		ip link del docker-bench0 2>/dev/null
	fi
	ip link del berthb0 2>/dev/null; nft delete table ip berth-berthb0 2>/dev/null
	for d in /sys/fs/cgroup/*/berth-bench /sys/fs/cgroup/*/benchx /sys/fs/cgroup/*/bench*; do [ -d "$d" ] && rmdir "$d"/* "$d" 2>/dev/null; done
	grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	grep -o " $drun[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1e6}'; }

# --- image: busybox rootfs from Debian's busybox-static
rootfs=$work/bundle/rootfs
mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev}
cp /bin/busybox "$rootfs/bin/"
for a in sh true echo; do ln -s busybox "$rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
tar -C "$rootfs" -cf "$work/busybox.tar" .

# --- runc floor: the same rootfs, runc's default spec, with a network namespace
(cd "$work/bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"true"/' config.json)

# --- Berth
mkdir -p "$brun"
echo "{}" >"$work/daemon.json"
"$BERTH" daemon --data-root "$work/berth" --exec-root "$brun" -H "unix://$brun/berth.sock" \
	--bridge berthb0 --cgroup-parent berth-bench --config-file "$work/daemon.json" >"$work/berth.log" 2>&1 &
berth_pid=$!
for _ in $(seq 100); do [ -S "$brun/berth.sock" ] && break; sleep 0.1; done
BH=unix://$brun/berth.sock
BERTH_HOST=$BH "$BERTH" import "$work/busybox.tar" bench:latest >/dev/null

# --- Docker (optional)
have_docker=
if ! command -v dockerd >/dev/null && [ "${BENCH_INSTALL_DOCKER:-}" = 1 ]; then
	created_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created_policy=1; fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io </dev/null >/dev/null
	[ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
if command -v dockerd >/dev/null; then
	mkdir -p "$drun"
	ip link add docker-bench0 type bridge 2>/dev/null || true
	ip addr add 10.213.0.1/24 dev docker-bench0 2>/dev/null || true
	ip link set docker-bench0 up
	dockerd --data-root "$work/docker" --exec-root "$drun/exec" -H "unix://$drun/docker.sock" \
		--pidfile "$drun/docker.pid" -b docker-bench0 --iptables=false --ip-masq=false \
		--containerd-namespace bench --containerd-plugins-namespace bench-plugins >"$work/docker.log" 2>&1 &
	docker_pid=$!
	for _ in $(seq 300); do DOCKER_HOST=unix://$drun/docker.sock "$DOCKER_CLI" version >/dev/null 2>&1 && break; sleep 0.1; done
	DH=unix://$drun/docker.sock
	DOCKER_HOST=$DH "$DOCKER_CLI" import "$work/busybox.tar" bench:latest >/dev/null
	have_docker=1
fi

# --- warm up, then alternate
for _ in 1 2 3; do
	BERTH_HOST=$BH "$BERTH" run --rm bench true
	[ -n "$have_docker" ] && DOCKER_HOST=$DH "$DOCKER_CLI" run --rm bench true
	(cd "$work/bundle" && runc run "warm$RANDOM" >/dev/null)
done
: >"$work/berth.t"; : >"$work/berth-dockercli.t"; : >"$work/docker.t"; : >"$work/runc.t"
for i in $(seq "$N"); do
	t0=$(now); (cd "$work/bundle" && runc run "bench$i" >/dev/null); t1=$(now); echo $((t1 - t0)) >>"$work/runc.t"
	t0=$(now); BERTH_HOST=$BH "$BERTH" run --rm bench true; t1=$(now); echo $((t1 - t0)) >>"$work/berth.t"
	t0=$(now); DOCKER_HOST=$BH "$DOCKER_CLI" run --rm bench true; t1=$(now); echo $((t1 - t0)) >>"$work/berth-dockercli.t"
	if [ -n "$have_docker" ]; then
		t0=$(now); DOCKER_HOST=$DH "$DOCKER_CLI" run --rm bench true; t1=$(now); echo $((t1 - t0)) >>"$work/docker.t"
	fi
done

runc_ms=$(median <"$work/runc.t")
berth_ms=$(median <"$work/berth.t")
berthd_ms=$(median <"$work/berth-dockercli.t")
echo "run --rm true, median of $N (ms):"
printf "  %-34s %8s\n" "bare runc run (floor)" "$runc_ms"
printf "  %-34s %8s   %.2fx runc\n" "berth CLI -> Berth" "$berth_ms" "$(echo "$berth_ms / $runc_ms" | bc -l)"
printf "  %-34s %8s   %.2fx runc\n" "docker CLI -> Berth" "$berthd_ms" "$(echo "$berthd_ms / $runc_ms" | bc -l)"
if [ -n "$have_docker" ]; then
	docker_ms=$(median <"$work/docker.t")
	printf "  %-34s %8s   %.2fx runc\n" "docker CLI -> Docker $(dockerd --version | awk '{print $3}' | tr -d ,)" "$docker_ms" "$(echo "$docker_ms / $runc_ms" | bc -l)"
	printf "  Berth is %.1fx faster than Docker (berth CLI), %.1fx (both via docker CLI)\n" \
		"$(echo "$docker_ms / $berth_ms" | bc -l)" "$(echo "$docker_ms / $berthd_ms" | bc -l)"
else
	echo "  (Docker's engine not installed: BENCH_INSTALL_DOCKER=1 installs Debian's docker.io for the comparison)"
fi
