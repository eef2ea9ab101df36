#!/usr/bin/env bash
# Runtime figures side by side (Berth vs Docker when installed):
#   - start 50 containers (8 in parallel) with `run -d IMAGE sleep`,
#   - `stats --no-stream` over the 50 running containers,
#   - per-container memory of the monitor process (berth shim vs
#     containerd-shim-runc-v2): RSS and PSS (shared pages divided),
#   - daemon memory when idle (berth daemon vs dockerd + containerd).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap bench_cleanup EXIT
N=${N:-50}
P=${P:-8}
# Each start figure is the median of ROUNDS starts of N (the containers of
# all but the last round are removed again): one start of 50 varies by
# 15% on this VM, and the first on a fresh daemon pays its warm-up. The
# VM's speed also drifts over minutes (the same start took 0.6 s in one
# run and 0.95 s in the next), so Berth's and Docker's rounds alternate:
# each pair of rounds meets the same machine, and each start but the last
# Docker one begins with no container of either engine running.
ROUNDS=${ROUNDS:-5}
bench_image
bench_start_berth
bench_start_docker

kib() { awk '/^'"$2"':/ {s+=$2} END {print s+0}' "$1" 2>/dev/null || echo 0; }
# mem_of PIDS: total RSS and PSS in KiB of the given pids
mem_of() {
	local rss=0 pss=0 p
	for p in "$@"; do
		rss=$((rss + $(kib /proc/$p/smaps_rollup Rss)))
		pss=$((pss + $(kib /proc/$p/smaps_rollup Pss)))
	done
	echo "$rss $pss"
}

# idle prints the figures of a daemon on stderr (shown even when captured)
# and its PSS on stdout. Not `tee /dev/stderr`: that reopens a log file
# given as stderr and truncates it.
idle() { # label pids...
	local label=$1; shift
	sleep 2
	read -r rss pss < <(mem_of "$@")
	printf "  %-40s RSS %6d KiB  PSS %6d KiB\n" "$label" "$rss" "$pss" >&2
	echo "$pss"
}

echo "daemon memory, idle:"
berth_idle=$(idle "berth daemon" "$berth_pid")
if [ -n "$have_docker" ]; then
	docker_idle=$(idle "dockerd + containerd" "$docker_pid" $(pgrep -f "containerd --config $DOCKER_RUN" || pgrep -x containerd) )
	echo "  Berth uses $(ratio "$berth_idle" "$docker_idle")x of Docker's idle memory (PSS)"
fi 2>&1

start_many() { # host cli [run flags]
	local t0 t1 host=$1 cli=$2
	shift 2
	# The host goes in the environment once: xargs then runs the CLI itself
	# rather than through env(1), an exec that is not the CLI's.
	export DOCKER_HOST="$host" BERTH_HOST="$host"
	t0=$(now)
	seq "$N" | xargs -P "$P" -I{} "$cli" run -d "$@" bench sleep 1000 >/dev/null
	t1=$(now)
	echo $((t1 - t0))
}
rm_all() { DOCKER_HOST=$1 "$DOCKER_CLI" rm -f $(DOCKER_HOST=$1 "$DOCKER_CLI" ps -aq) >/dev/null 2>&1 || true; }
# rounds NAME HOST START-COMMAND... [-- NAME HOST START-COMMAND...]: runs
# each start ROUNDS times, the starts of one round one after the other
# (removing each one's containers before the next, but in the last round),
# and writes each one's rounds in ns to $BENCH_WORK/rounds/NAME.
rounds() {
	local r i t
	local -a names=() hosts=() cmds=()
	mkdir -p "$BENCH_WORK/rounds"
	while [ $# -gt 0 ]; do
		names+=("$1") hosts+=("$2")
		shift 2
		local cmd=()
		while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
		[ $# -gt 0 ] && shift
		cmds+=("$(printf '%q ' "${cmd[@]}")")
		: >"$BENCH_WORK/rounds/${names[-1]}"
	done
	for r in $(seq "$ROUNDS"); do
		for i in "${!names[@]}"; do
			t=$(eval "${cmds[$i]}")
			echo "$t" >>"$BENCH_WORK/rounds/${names[$i]}"
			if [ "$r" -lt "$ROUNDS" ]; then rm_all "${hosts[$i]}"; fi
		done
	done
}
# median_of NAME: the median of NAME's rounds, in ns
median_of() { sort -n "$BENCH_WORK/rounds/$1" | sed -n "$(((ROUNDS + 1) / 2))p"; }
# show LABEL NAME [EXTRA]: one start line, with the rounds behind the median
show() {
	printf "  %-40s %8.0f ms  (%s)%s\n" "$1" "$(echo "$(median_of "$2")/1000000" | bc -l)" \
		"$(awk '{printf "%s%d", (NR > 1 ? " " : ""), $1 / 1e6}' "$BENCH_WORK/rounds/$2")" "${3:-}"
}
stats_ms() { # host cli
	local t0 t1
	t0=$(now); DOCKER_HOST="$1" BERTH_HOST="$1" "$2" stats --no-stream >/dev/null; t1=$(now)
	echo $((t1 - t0))
}

echo "start $N containers, $P in parallel (median of $ROUNDS rounds, Berth's and Docker's alternating), then stats --no-stream over them:"
if [ -n "$have_docker" ]; then
	rounds berth "$BH" start_many "$BH" "$BERTH" -- docker "$DH" start_many "$DH" "$DOCKER_CLI"
else
	rounds berth "$BH" start_many "$BH" "$BERTH"
fi
berth_start=$(median_of berth)
show "berth CLI -> Berth: start" berth
berth_stats=$(for _ in 1 2 3; do stats_ms "$BH" "$BERTH"; done | median)
dstats_berth=$(for _ in 1 2 3; do stats_ms "$BH" "$DOCKER_CLI"; done | median)
printf "  %-40s %8s ms\n" "berth CLI -> Berth: stats --no-stream" "$berth_stats" "docker CLI -> Berth: stats --no-stream" "$dstats_berth"
if [ "${BENCH_DOCKER_CLI_V29:-}" = 1 ] && cli29=$(bench/docker-cli-v29.sh); then
	# v28 (above) renders on its first 500 ms tick; v29 prints at once.
	dstats29=$(for _ in 1 2 3; do stats_ms "$BH" "$cli29"; done | median)
	printf "  %-40s %8s ms\n" "docker CLI v29 -> Berth: stats --no-stream" "$dstats29"
fi
shims=$(pgrep -f "^$BERTH(-shim)? shim" || true)
read -r srss spss < <(mem_of $shims)
nshim=$(echo "$shims" | wc -w)
printf "  %-40s RSS %6d KiB  PSS %6d KiB  (per shim, %d shims)\n" "berth shim" "$((srss / nshim))" "$((spss / nshim))" "$nshim"
if [ -n "$have_docker" ]; then
	docker_start=$(median_of docker)
	show "docker CLI -> Docker: start" docker "   Berth $(ratio "$docker_start" "$berth_start")x faster"
	dstats=$(for _ in 1 2 3; do stats_ms "$DH" "$DOCKER_CLI"; done | median)
	printf "  %-40s %8s ms\n" "docker CLI -> Docker: stats --no-stream" "$dstats"
	dshims=$(pgrep -f containerd-shim-runc-v2 || true)
	read -r drss dpss < <(mem_of $dshims)
	nd=$(echo "$dshims" | wc -w)
	printf "  %-40s RSS %6d KiB  PSS %6d KiB  (per shim, %d shims)\n" "containerd-shim-runc-v2" "$((drss / nd))" "$((dpss / nd))" "$nd"
	echo "  shim PSS: Berth uses $(ratio "$((spss / nshim))" "$((dpss / nd))")x of Docker's per container"
fi
if [ "$(BERTH_HOST=$BH "$BERTH" info --format '{{.DefaultRuntime}}')" != runc ]; then
	# The same start with runc, the runtime Docker uses (`--runtime runc`),
	# once the first containers are gone.
	rm_all "$BH"
	rounds runc "$BH" start_many "$BH" "$BERTH" --runtime runc
	extra=
	if [ -n "$have_docker" ]; then extra="   Berth $(ratio "$docker_start" "$(median_of runc)")x faster"; fi
	show "berth CLI -> Berth (runc): start" runc "$extra"
fi

# The same start through the Engine API from one client process (create,
# then start, as `docker run -d` does) for both engines: the engines alone,
# without a CLI process started per container on either side.
go build -o "$BENCH_WORK/startmany" ./bench/startmany
rm_all "$BH"
if [ -n "$have_docker" ]; then
	rm_all "$DH"
	rounds api_berth "$BH" "$BENCH_WORK/startmany" -H "$BH" -n "$N" -p "$P" bench sleep 1000 -- \
		api_docker "$DH" "$BENCH_WORK/startmany" -H "$DH" -n "$N" -p "$P" bench sleep 1000
else
	rounds api_berth "$BH" "$BENCH_WORK/startmany" -H "$BH" -n "$N" -p "$P" bench sleep 1000
fi
show "API client -> Berth: start" api_berth
if [ -n "$have_docker" ]; then
	show "API client -> Docker: start" api_docker "   Berth $(ratio "$(median_of api_docker)" "$(median_of api_berth)")x faster"
fi
