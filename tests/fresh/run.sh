#!/bin/sh
# The first run on a fresh machine, simulated: a copy of the working tree is
# built with `make demo` (and plain `make`) while dpkg-query, apt-get and
# pkg-config see a system without the -dev packages until apt-get "installs"
# them (the fakes in this script flip one marker file; nothing is installed
# for real). Catches every flag computed before `deps` has run: with the
# Makefile of before issue #16 the link fails here ("undefined reference to
# cblas_dgemm"), as it did on real fresh machines. A second case runs as a
# non-root user and expects the exact apt-get line and a non-zero exit. A fourth
# runs `make python` (installing under a DESTDIR) and imports the package.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "fresh: FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/fake" "$tmp/state"
real_pc=$(command -v pkg-config) || fail "pkg-config is needed to run this test"
cat > "$tmp/fake/dpkg-query" <<EOS
#!/bin/sh
[ -e "$tmp/state/installed" ] && exec $(command -v dpkg-query) "\$@"
exit 1
EOS
cat > "$tmp/fake/apt-get" <<EOS
#!/bin/sh
echo "fake apt-get \$*" >> "$tmp/state/apt.log"
case " \$* " in *" install "*) touch "$tmp/state/installed" ;; esac
exit 0
EOS
cat > "$tmp/fake/pkg-config" <<EOS
#!/bin/sh
[ -e "$tmp/state/installed" ] && exec $real_pc "\$@"
exit 1
EOS
cat > "$tmp/fake/id" <<EOS
#!/bin/sh
[ "\$1" = -u ] && { echo "\${FAKE_UID:-0}"; exit 0; }
exec $(command -v id) "\$@"
EOS
chmod +x "$tmp/fake/"*

copy_tree() {
    mkdir -p "$1"
    (cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$1" 2>/dev/null) ||
        (cd "$top" && tar --exclude=./build* --exclude=./bin --exclude=./lib --exclude=./.git -cf - . | tar -C "$1" -xf -)
}

# 1. root, nothing installed: make demo installs, builds and runs on its first run.
copy_tree "$tmp/a"
if ! (cd "$tmp/a" && PATH="$tmp/fake:$PATH" make demo > "$tmp/demo.out" 2> "$tmp/demo.err"); then
    tail -20 "$tmp/demo.err" >&2; fail "make demo failed on its first run on a fresh machine"
fi
grep -q "install" "$tmp/state/apt.log" || fail "make demo did not install the missing packages"
grep -q "accuracy\|rmse\|RMSE\|r2\|R²" "$tmp/demo.out" || fail "make demo printed no results"
echo "fresh: make demo on a fresh machine: packages installed, built and ran on the first run"

# 2. plain `make` on a fresh machine.
rm -f "$tmp/state/installed" "$tmp/state/apt.log"
copy_tree "$tmp/b"
if ! (cd "$tmp/b" && PATH="$tmp/fake:$PATH" make > "$tmp/make.out" 2>&1); then
    tail -20 "$tmp/make.out" >&2; fail "make failed on its first run on a fresh machine"
fi
[ -x "$tmp/b/bin/ntk" ] && [ -f "$tmp/b/lib/libntk.so" ] || fail "make built no bin/ntk or lib/libntk.so"
echo "fresh: make on a fresh machine: built on the first run"

# 3. not root: the exact apt-get line, a failure, and no build attempted.
rm -f "$tmp/state/installed" "$tmp/state/apt.log"
copy_tree "$tmp/c"
if (cd "$tmp/c" && PATH="$tmp/fake:$PATH" FAKE_UID=1000 make demo > "$tmp/user.out" 2> "$tmp/user.err"); then
    fail "make demo as a user without the packages succeeded"
fi
grep -q "apt-get update && apt-get install -y .*libcsv-dev.*libopenblas-dev" "$tmp/user.err" ||
    { cat "$tmp/user.err" >&2; fail "no exact apt-get line for a user without root"; }
[ ! -e "$tmp/state/apt.log" ] || fail "apt-get was called without root"
[ ! -e "$tmp/c/bin/ntk" ] || fail "a build was attempted without the packages"
echo "fresh: make demo as a user: the exact apt-get line, exit non-zero"
# 4. `make python` on a fresh machine (in the tree of case 2, so only the
# extension is built): packages installed first, then built and installed
# (under DESTDIR here) for /usr/bin/python3, importable from there.
if /usr/bin/python3 -c 'import numpy, sklearn, pandas' 2>/dev/null; then
    rm -f "$tmp/state/installed" "$tmp/state/apt.log"
    if ! (cd "$tmp/b" && PATH="$tmp/fake:$PATH" make python DESTDIR="$tmp/inst" > "$tmp/py.out" 2>&1); then
        tail -20 "$tmp/py.out" >&2; fail "make python failed on its first run on a fresh machine"
    fi
    grep -q "install" "$tmp/state/apt.log" || fail "make python did not install the missing packages"
    site=$(find "$tmp/inst" -type d -name ntk | head -1)
    [ -n "$site" ] && (cd "$tmp" && PYTHONPATH=$(dirname "$site") /usr/bin/python3 -c 'import ntk, numpy as np; ntk.kernel(np.eye(3))') ||
        fail "the package installed by make python does not import"
    echo "fresh: make python on a fresh machine: packages installed, built, installed, imports"
    echo "fresh: 4 passed, 0 failed"
else
    echo "fresh: 3 passed, 0 failed (make python not tried: /usr/bin/python3 lacks numpy/sklearn/pandas)"
fi
