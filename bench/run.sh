#!/usr/bin/env bash
# Container start: `run --rm IMAGE true` end to end through the CLI, for
# Berth and Docker (when installed; BENCH_INSTALL_DOCKER=1 installs Debian's
# docker.io) in the same run, alternating, plus bare `runc run` on the same
# rootfs as the floor (runc's default spec, and Berth's generated spec).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap bench_cleanup EXIT
N=${N:-30}
bench_image
(cd "$BENCH_WORK/bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"true"/' config.json)
bench_start_berth
bench_start_docker

# Berth's own spec for the same rootfs, taken from a container it ran.
BERTH_HOST=$BH "$BERTH" run --name spec-probe bench true
probe=$(BERTH_HOST=$BH "$BERTH" inspect -f '{{.Id}}' spec-probe)
mkdir -p "$BENCH_WORK/bspec"
python3 - "$BERTH_RUN/containers/$probe/config.json" "$BENCH_WORK/bspec/config.json" "$BENCH_WORK/bundle/rootfs" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c['root']['path'] = sys.argv[3]
c['mounts'] = [m for m in c['mounts'] if not m['destination'].startswith('/etc/')]
c['linux']['cgroupsPath'] = '/benchx/x'
c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network'}]
json.dump(c, open(sys.argv[2], 'w'))
PY
BERTH_HOST=$BH "$BERTH" rm spec-probe >/dev/null

for _ in 1 2 3; do
	BERTH_HOST=$BH "$BERTH" run --rm bench true
	[ -n "$have_docker" ] && DOCKER_HOST=$DH "$DOCKER_CLI" run --rm bench true
	(cd "$BENCH_WORK/bundle" && runc run "warm$RANDOM" >/dev/null)
done
# Berth's default runtime is crun where installed; the runc row shows Berth
# with the runtime Docker uses.
default_rt=$(BERTH_HOST=$BH "$BERTH" info --format '{{.DefaultRuntime}}')
for f in runc runc-berthspec berth berth-runc berth-dockercli docker; do : >"$BENCH_WORK/$f.t"; done
for i in $(seq "$N"); do
	t0=$(now); (cd "$BENCH_WORK/bundle" && runc run "b$i" >/dev/null); t1=$(now); echo $((t1 - t0)) >>"$BENCH_WORK/runc.t"
	t0=$(now); (cd "$BENCH_WORK/bspec" && runc run "s$i" >/dev/null); t1=$(now); echo $((t1 - t0)) >>"$BENCH_WORK/runc-berthspec.t"
	t0=$(now); BERTH_HOST=$BH "$BERTH" run --rm bench true; t1=$(now); echo $((t1 - t0)) >>"$BENCH_WORK/berth.t"
	t0=$(now); DOCKER_HOST=$BH "$DOCKER_CLI" run --rm bench true; t1=$(now); echo $((t1 - t0)) >>"$BENCH_WORK/berth-dockercli.t"
	if [ "$default_rt" != runc ]; then
		t0=$(now); BERTH_HOST=$BH "$BERTH" run --rm --runtime runc bench true; t1=$(now); echo $((t1 - t0)) >>"$BENCH_WORK/berth-runc.t"
	fi
	if [ -n "$have_docker" ]; then
		t0=$(now); DOCKER_HOST=$DH "$DOCKER_CLI" run --rm bench true; t1=$(now); echo $((t1 - t0)) >>"$BENCH_WORK/docker.t"
	fi
done

runc_ms=$(median <"$BENCH_WORK/runc.t")
echo "run --rm true, median of $N (ms):"
printf "  %-36s %8s\n" "bare runc run, runc's spec (floor)" "$runc_ms"
for row in "runc-berthspec:bare runc run, Berth's spec" "berth:berth CLI -> Berth ($default_rt)" "berth-runc:berth CLI -> Berth, --runtime runc" "berth-dockercli:docker CLI -> Berth" "docker:docker CLI -> Docker"; do
	f=${row%%:*} label=${row#*:}
	[ -s "$BENCH_WORK/$f.t" ] || continue
	ms=$(median <"$BENCH_WORK/$f.t")
	printf "  %-36s %8s   %sx floor\n" "$label" "$ms" "$(ratio "$ms" "$runc_ms")"
	eval "ms_${f//-/_}=$ms"
done
if [ -n "$have_docker" ]; then
	echo "  Berth vs Docker: $(ratio "$ms_docker" "$ms_berth")x faster (berth CLI), $(ratio "$ms_docker" "$ms_berth_dockercli")x (both via the docker CLI)"
	[ -s "$BENCH_WORK/berth-runc.t" ] && echo "  Berth with runc vs Docker: $(ratio "$ms_docker" "$ms_berth_runc")x faster (berth CLI)"
else
	echo "  (Docker's engine not installed: BENCH_INSTALL_DOCKER=1 installs Debian's docker.io for the comparison)"
fi
