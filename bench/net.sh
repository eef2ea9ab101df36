#!/usr/bin/env bash
# HTTP requests/s through a port published on 127.0.0.1 versus the same
# server reached directly at the container's address, for Berth (nftables
# DNAT, no proxy) and Docker (when installed; its bench daemon runs with
# --iptables=false, so 127.0.0.1 goes through docker-proxy as it does by
# default) in the same run. Needs wrk (apt-get install wrk) and Go.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap bench_cleanup EXIT
DUR=${DUR:-4} CONNS=${CONNS:-32} ROUNDS=${ROUNDS:-3}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
bench_image

# A small static Go HTTP server (keep-alive, 13-byte answer) in the image.
mkdir -p "$BENCH_WORK/srv"
cat >"$BENCH_WORK/srv/main.go" <<'GO'
package main

import "net/http"

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("hello, world\n")) })
	panic(http.ListenAndServe(":8080", nil))
}
GO
(cd "$BENCH_WORK/srv" && CGO_ENABLED=0 go build -o "$BENCH_WORK/bundle/rootfs/srv" main.go)
tar -C "$BENCH_WORK/bundle/rootfs" -cf "$BENCH_WORK/net.tar" .

rps() { wrk -t2 -c"$CONNS" -d"${DUR}s" "$1" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
measure() { # engine host port -> "published direct"
	local host=$1 port=$2 ip
	DOCKER_HOST=$host "$DOCKER_CLI" import "$BENCH_WORK/net.tar" benchnet:latest >/dev/null
	DOCKER_HOST=$host "$DOCKER_CLI" run -d --name netbench -p 127.0.0.1:"$port":8080 benchnet /srv >/dev/null
	ip=$(DOCKER_HOST=$host "$DOCKER_CLI" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' netbench)
	for _ in $(seq 50); do curl -sf "http://$ip:8080/" >/dev/null && break; sleep 0.1; done
	wrk -t1 -c4 -d1s "http://127.0.0.1:$port/" >/dev/null # warm up
	local pub=() dir=()
	for _ in $(seq "$ROUNDS"); do # alternate, so noise from other load hits both
		pub+=("$(rps "http://127.0.0.1:$port/")")
		dir+=("$(rps "http://$ip:8080/")")
	done
	echo "$(printf '%s\n' "${pub[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') $(printf '%s\n' "${dir[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
	DOCKER_HOST=$host "$DOCKER_CLI" rm -f netbench >/dev/null
}

bench_start_berth
bench_start_docker
read -r b_pub b_dir < <(measure "$BH" 18480)
echo "HTTP requests/s, wrk -c$CONNS, median of $ROUNDS alternating ${DUR}s rounds (higher is better):"
printf "  %-32s %10s %10s %8s\n" "" "127.0.0.1" "direct" "ratio"
printf "  %-32s %10s %10s %8s\n" "Berth (nftables DNAT)" "$b_pub" "$b_dir" "$(ratio "$b_pub" "$b_dir")"
if [ -n "$have_docker" ]; then
	read -r d_pub d_dir < <(measure "$DH" 18481)
	printf "  %-32s %10s %10s %8s\n" "Docker (docker-proxy)" "$d_pub" "$d_dir" "$(ratio "$d_pub" "$d_dir")"
	echo "  Berth vs Docker through 127.0.0.1: $(ratio "$b_pub" "$d_pub")x"
else
	echo "  (Docker's engine not installed: BENCH_INSTALL_DOCKER=1 installs Debian's docker.io for the comparison)"
fi
