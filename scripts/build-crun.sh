#!/usr/bin/env bash
# build-crun.sh OUT: builds OUT (bin/berth-crun), the OCI runtime Berth
# prefers: crun, from the Debian source of the crun package installed here
# (upstream's code with Debian's patches), without the systemd and CRIU
# support Berth never uses, and linked statically.
#
# Why: Debian's crun links eleven shared libraries (libsystemd alone brings
# libgcrypt, liblzma, libzstd, liblz4 and libgpg-error). Loading them costs
# about 3 ms of CPU on every exec (`crun --version`: 3.9 ms against 0.9 ms
# for this build), and Berth execs the runtime for every container start.
#
# The source comes through apt, which checks it against the archive's signed
# indexes; the build is redone when the installed crun's version changes
# (a security update), and skipped otherwise.
set -euo pipefail
out=${1:?usage: build-crun.sh OUT}
ver=$(dpkg-query -W -f '${source:Version}' crun 2>/dev/null) || {
	echo "build-crun: the crun package is not installed (make deps)" >&2
	exit 1
}
stamp="$out.version"
if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$ver" ]; then
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work" "$out.tmp"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
# deb-src twins of the deb lines this machine already uses, in a private
# apt state: the system's own apt configuration is left alone.
apt-get indextargets --format '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT)' |
	awk '$1 == "deb" {print "deb-src", $2, $3, $4}' | sort -u >"$work/sources.list"
apt=(apt-get -qq -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o APT::Sandbox::User=root)
"${apt[@]}" update
(cd "$work/src" && "${apt[@]}" source "crun=$ver" >/dev/null)
src=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'crun-*' | head -n1)
log="$work/build.log"
# --enable-embedded-yajl: Debian ships no static libyajl; crun carries its
# own copy for this. --disable-dl: no dlopen in a static binary (it serves
# only optional handler plugins). No libgcrypt: crun uses it only to cache
# the seccomp filters it compiles, and Berth hands it compiled filters
# (run.oci.seccomp_bpf_data).
# Under make -j the release tarball's Makefile orders too little for the
# one target built here (automake's BUILT_SOURCES only guard `make all`):
# crun's own sources include git-version.h and the headers libocispec
# generates, and libocispec needs the embedded yajl. So these go first, each
# on its own.
if ! (cd "$src" &&
	./configure --disable-systemd --disable-criu --disable-dl --disable-shared --enable-static \
		--enable-embedded-yajl ac_cv_search_gcry_check_version=no &&
	make git-version.h &&
	make -C libocispec/yajl -j"$(nproc)" &&
	make -C libocispec -j"$(nproc)" libocispec.la &&
	make -j"$(nproc)" crun LDFLAGS=-all-static) >"$log" 2>&1; then
	tail -n 15 "$log" >&2
	echo "build-crun: the first errors:" >&2
	grep -m 8 -E 'error|Error [0-9]' "$log" >&2 || true
	echo "build-crun: building crun $ver failed" >&2
	exit 1
fi
strip -o "$out.tmp" "$src/crun"
"$out.tmp" --version >/dev/null
mv "$out.tmp" "$out"
echo "$ver" >"$stamp"
echo "built $out (crun $ver, static)"
