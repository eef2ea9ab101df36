#!/usr/bin/env bash
# Compose benchmark: `up -d` of a 5-service project (images present, one
# user network, a named volume) and its `down -v`, with `berth compose`
# against Berth, Debian's docker-compose (v1.29) against Berth and, when
# Docker's engine is installed (or BENCH_INSTALL_DOCKER=1), docker-compose
# against Docker. Prints medians of N runs and ratios.
#
# Everything runs on private roots/sockets/bridges; a system daemon is
# never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap bench_cleanup EXIT
N=${N:-5}
command -v docker-compose >/dev/null || { echo "docker-compose not installed (apt-get install docker-compose)"; exit 1; }

proj=$BENCH_WORK/proj
mkdir -p "$proj"
{
	echo "services:"
	for s in web api worker cache db; do
		cat <<-EOF
		  $s:
		    image: bench
		    command: ["sleep", "3600"]
		    stop_signal: SIGKILL
		    environment: {SERVICE: $s}
		    volumes: [data:/data]
		EOF
	done
	echo "volumes: {data: {}}"
} >"$proj/compose.yaml"

bench_image
bench_start_berth
bench_start_docker

# timed FILE CMD...: runs CMD in the project dir, appending its duration (ns).
timed() {
	local f=$1 t0 t1
	shift
	t0=$(now)
	(cd "$proj" && "$@" >/dev/null 2>"$BENCH_WORK/compose.err") || { cat "$BENCH_WORK/compose.err"; return 1; }
	t1=$(now)
	echo $((t1 - t0)) >>"$f"
}

# series NAME HOST CLIENT...: N cold up -d / down -v pairs.
series() {
	local name=$1 host=$2
	shift 2
	for _ in $(seq "$N"); do
		timed "$BENCH_WORK/$name.up" env DOCKER_HOST="$host" BERTH_HOST="$host" "$@" -p bench up -d
		timed "$BENCH_WORK/$name.down" env DOCKER_HOST="$host" BERTH_HOST="$host" "$@" -p bench down -v
	done
}

series berth "$BH" "$BERTH" compose
series dc-berth "$BH" docker-compose
[ -n "$have_docker" ] && series dc-docker "$DH" docker-compose

report() {
	local up down
	up=$(median <"$BENCH_WORK/$1.up")
	down=$(median <"$BENCH_WORK/$1.down")
	printf "%-34s up -d %8s ms   down -v %8s ms\n" "$2" "$up" "$down"
}
echo "5 services, median of $N"
report berth "berth compose → Berth"
report dc-berth "docker-compose v1 → Berth"
b=$(median <"$BENCH_WORK/berth.up")
echo "ratio docker-compose→Berth / berth compose (up):  $(ratio "$(median <"$BENCH_WORK/dc-berth.up")" "$b")"
if [ -n "$have_docker" ]; then
	report dc-docker "docker-compose v1 → Docker"
	echo "ratio docker-compose→Docker / berth compose (up): $(ratio "$(median <"$BENCH_WORK/dc-docker.up")" "$b")"
fi
