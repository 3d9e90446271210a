#!/bin/sh
# Install the Debian packages ntk needs, or print the exact command to do so.
# Used by `make deps` (and so by `make check` and `make demo`).
# libscalapack-openmpi-dev + libopenmpi-dev + openmpi-bin: the distributed ntk-mpi (make mpi).
# Arguments, if any, replace the list (deps-fuzz: clang and its sanitizer runtimes).
PKGS="gcc make pkg-config libcsv-dev libopenblas-dev liblapacke-dev check gnuplot-nox libscalapack-openmpi-dev libopenmpi-dev openmpi-bin"
[ $# -gt 0 ] && PKGS="$*"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >&2 || {
        echo "deps: apt-get install failed" >&2; exit 1; }
else
    echo "deps: missing Debian packages. Run as root:" >&2
    echo "  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
