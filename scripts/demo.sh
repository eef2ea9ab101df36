#!/usr/bin/env bash
# Berth's main job in one go: make a small image (busybox from Debian's
# busybox-static), import it, and run containers in it through the berth
# CLI, which starts the daemon on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
BERTH=${BERTH:-bin/berth}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev,root}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
tar -C "$rootfs" -cf "$work/busybox.tar" .

echo "+ berth import busybox.tar busybox:latest"
"$BERTH" import "$work/busybox.tar" busybox:latest
echo "+ berth images"
"$BERTH" images
mkdir -p "$work/app"
printf 'Hello from an image built by Berth\n' >"$work/app/greeting.txt"
cat >"$work/app/Dockerfile" <<'EOF'
FROM busybox:latest
COPY greeting.txt /srv/greeting.txt
RUN wc -c /srv/greeting.txt && echo "built on $(date -u +%F)" >/srv/stamp
USER nobody
CMD ["sh", "-c", "cat /srv/greeting.txt /srv/stamp; id"]
EOF
echo "+ berth build -t demo-app $work/app"
"$BERTH" build -t demo-app "$work/app"
echo "+ berth run --rm demo-app"
"$BERTH" run --rm demo-app
echo "+ berth run --rm busybox sh -c 'echo Hello from a Berth container; uname -a; ip -4 -o addr show eth0'"
"$BERTH" run --rm busybox sh -c 'echo Hello from a Berth container; uname -a; ip -4 -o addr show eth0'
echo "+ echo piped | berth run -i --rm busybox tr a-z A-Z"
echo piped | "$BERTH" run -i --rm busybox tr a-z A-Z
echo "+ berth run -d --name demo-web busybox httpd -f -p 8080"
"$BERTH" rm -f demo-web >/dev/null 2>&1 || true
"$BERTH" run -d --name demo-web busybox httpd -f -p 8080
"$BERTH" ps
"$BERTH" rm -f demo-web
echo "Berth works. The daemon keeps running (socket /run/berth/berth.sock); point the docker CLI at it with"
echo "  DOCKER_HOST=unix:///run/berth/berth.sock docker run --rm busybox echo hi"
