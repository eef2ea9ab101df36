# Shared helpers for the side-by-side benchmarks (sourced, not run).
# Berth runs on a private root/socket/bridge (bridge berthb0, cgroup parent
# berth-bench); Docker's engine, when installed (or BENCH_INSTALL_DOCKER=1),
# on its own root/socket and its own bridge docker-bench0 (10.213.0.1/24), so
# neither touches a system daemon. bench_cleanup removes all of it.

BERTH=${BERTH:-$PWD/bin/berth}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
BENCH_WORK=$(mktemp -d /tmp/berth-bench.XXXXXX)
BERTH_RUN=/run/berth-bench
DOCKER_RUN=/run/docker-bench
BH=unix://$BERTH_RUN/berth.sock
DH=unix://$DOCKER_RUN/docker.sock
berth_pid= docker_pid= have_docker=

# One benchmark at a time: they share the run dirs, bridges and cgroup
# parent. The lock (fd 9) is released when the script exits; the daemons
# are started without it so no shim outliving them keeps it.
exec 9>/run/berth-bench.lock
flock -n 9 || { echo "waiting for another benchmark to finish..." >&2; flock 9; }

now() { date +%s%N; }
# median of nanosecond samples on stdin, printed in ms
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1e6}'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf "%.2f"; }

# bench_image writes a busybox rootfs tarball to $BENCH_WORK/busybox.tar and
# leaves the rootfs in $BENCH_WORK/bundle/rootfs (runc's floor uses it).
bench_image() {
	local rootfs=$BENCH_WORK/bundle/rootfs
	mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev}
	cp /bin/busybox "$rootfs/bin/"
	for a in sh true echo sleep; do ln -s busybox "$rootfs/bin/$a"; done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
	echo 'root:x:0:' >"$rootfs/etc/group"
	tar -C "$rootfs" -cf "$BENCH_WORK/busybox.tar" .
}

bench_start_berth() {
	mkdir -p "$BERTH_RUN"
	echo "{}" >"$BENCH_WORK/daemon.json"
	"$BERTH" daemon --data-root "$BENCH_WORK/berth" --exec-root "$BERTH_RUN" -H "$BH" \
		--bridge berthb0 --cgroup-parent berth-bench --config-file "$BENCH_WORK/daemon.json" >"$BENCH_WORK/berth.log" 2>&1 9>&- &
	berth_pid=$!
	for _ in $(seq 100); do [ -S "$BERTH_RUN/berth.sock" ] && break; sleep 0.1; done
	BERTH_HOST=$BH "$BERTH" import "$BENCH_WORK/busybox.tar" bench:latest >/dev/null
}

bench_start_docker() {
	if ! command -v dockerd >/dev/null && [ "${BENCH_INSTALL_DOCKER:-}" = 1 ]; then
		local created=
		if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created=1; fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io </dev/null >/dev/null
		[ -n "$created" ] && rm -f /usr/sbin/policy-rc.d
	fi
	command -v dockerd >/dev/null || return 0
	mkdir -p "$DOCKER_RUN"
	ip link add docker-bench0 type bridge 2>/dev/null || true
	ip addr add 10.213.0.1/24 dev docker-bench0 2>/dev/null || true
	ip link set docker-bench0 up
	dockerd --data-root "$BENCH_WORK/docker" --exec-root "$DOCKER_RUN/exec" -H "$DH" \
		--pidfile "$DOCKER_RUN/docker.pid" -b docker-bench0 --iptables=false --ip-masq=false \
		--containerd-namespace bench --containerd-plugins-namespace bench-plugins >"$BENCH_WORK/docker.log" 2>&1 9>&- &
	docker_pid=$!
	for _ in $(seq 300); do DOCKER_HOST=$DH "$DOCKER_CLI" version >/dev/null 2>&1 && break; sleep 0.1; done
	DOCKER_HOST=$DH "$DOCKER_CLI" import "$BENCH_WORK/busybox.tar" bench:latest >/dev/null
	have_docker=1
}

bench_cleanup() {
	set +e
	if [ -n "$berth_pid" ]; then
		DOCKER_HOST=$BH "$DOCKER_CLI" rm -f $(DOCKER_HOST=$BH "$DOCKER_CLI" ps -aq) >/dev/null 2>&1
		kill "$berth_pid"; wait "$berth_pid" 2>/dev/null
	fi
	if [ -n "$docker_pid" ]; then
		DOCKER_HOST=$DH "$DOCKER_CLI" rm -f $(DOCKER_HOST=$DH "$DOCKER_CLI" ps -aq) >/dev/null 2>&1
		kill "$docker_pid"; wait "$docker_pid" 2>/dev/null
		ip link del docker-bench0 2>/dev/null
	fi
	ip link del berthb0 2>/dev/null; nft delete table ip berth-berthb0 2>/dev/null
	for d in /sys/fs/cgroup/*/berth-bench /sys/fs/cgroup/*/benchx; do [ -d "$d" ] && rmdir "$d"/* "$d" 2>/dev/null; done
	grep -o " $BENCH_WORK[^ ]*\| $DOCKER_RUN[^ ]*\| $BERTH_RUN[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$BENCH_WORK" "$BERTH_RUN" "$DOCKER_RUN"
}
