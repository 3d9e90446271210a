#!/bin/sh
# libntk.so exports only the public API: every dynamic symbol it defines is an
# ntk_ name declared in include/ntk/*.h, every function the headers declare
# is exported (mpi.h's live in libntk_mpi.a), and the library carries
# a versioned SONAME. $NTK_SHARED names the library (default: lib/ next to
# $NTK's bin/).
. tests/cli/lib.sh
: "${NTK_SHARED:=$(dirname "$NTK")/../lib/libntk.so}"
SO=$NTK_SHARED
if [ ! -e "$SO" ]; then fail "$SO not built"; finish; fi

readelf -d "$SO" >"$OUT" 2>"$ERR" || fail "readelf -d $SO failed"
grep -Eq 'SONAME.*\[libntk\.so\.[0-9]+\]' "$OUT" || fail "no versioned SONAME libntk.so.N in $SO"
soname=$(sed -n 's/.*SONAME.*\[\(.*\)\].*/\1/p' "$OUT")
[ -e "$(dirname "$SO")/$soname" ] || fail "no $soname beside $SO"

# Names the public headers mention (as whole words), and the ones they export.
cat include/ntk/*.h | grep -oE '\bntk_[A-Za-z0-9_]+' | sort -u >"$TMPD/declared"
# Functions declared at file scope (a declaration starting in column 0), with
# or without NTK_API: a public function someone forgot to mark shows up.
fns() { grep -hE '^[A-Za-z_][^;{}()]*\bntk_[A-Za-z0-9_]+\(' "$@" | grep -vE '^(typedef|static|return)\b' |
        sed -E 's/^[^(]*\b(ntk_[A-Za-z0-9_]+)\(.*/\1/' | sort -u; }
fns include/ntk/*.h >"$TMPD/api"
: >"$TMPD/mpi"
[ -e include/ntk/mpi.h ] && fns include/ntk/mpi.h >"$TMPD/mpi"
[ -s "$TMPD/api" ] || fail "no function declarations found in include/ntk/*.h"

# Compiler-generated, not API: .gomp_critical_user_* (GCC's lock for a named
# OpenMP critical section, a common symbol) and, in the ASan build,
# __odr_asan.* (ASan's one-definition marker beside each exported global).
nm -D --defined-only "$SO" | awk '{print $NF}' | grep -Ev '^(\.gomp_critical_user_|__odr_asan\.)' |
    sort -u >"$TMPD/exported"
[ -s "$TMPD/exported" ] || fail "nm -D found no symbols in $SO"
bad=$(comm -23 "$TMPD/exported" "$TMPD/declared")
[ -z "$bad" ] || fail "exported but not declared in include/ntk/*.h:" $bad
missing=$(comm -23 "$TMPD/api" "$TMPD/exported" | comm -23 - "${TMPD}/mpi")
[ -z "$missing" ] || fail "declared in include/ntk/*.h but not exported (mark it NTK_API):" $missing
finish
