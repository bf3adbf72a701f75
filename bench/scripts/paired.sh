#!/bin/sh
# paired.sh: compare two builds of a package's Go benchmarks side by side,
# interleaved round by round so that a noisy shared machine affects both
# alike, then summarise with benchstat if it is installed.
#
#   bench/scripts/paired.sh OLDREV PKG BENCHREGEXP [ROUNDS]
#
# builds PKG's test binary at OLDREV (in a temporary worktree) and in the
# working tree, runs each ROUNDS times (default 8) in alternation, and
# writes old.txt and new.txt under ${OUT:-/tmp/paired}.
set -eu
old=$1 pkg=$2 re=$3 rounds=${4:-8}
out=${OUT:-/tmp/paired}
root=$(git rev-parse --show-toplevel)
mkdir -p "$out"
wt=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1 || true' EXIT
git -C "$root" worktree add --detach "$wt" "$old" >/dev/null
(cd "$wt" && go test -c -o "$out/old.test" "$pkg")
(cd "$root" && go test -c -o "$out/new.test" "$pkg")
: >"$out/old.txt"
: >"$out/new.txt"
i=0
while [ $i -lt "$rounds" ]; do
	"$out/old.test" -test.run '^$' -test.bench "$re" -test.benchmem -test.count 1 >>"$out/old.txt"
	"$out/new.test" -test.run '^$' -test.bench "$re" -test.benchmem -test.count 1 >>"$out/new.txt"
	i=$((i + 1))
done
if command -v benchstat >/dev/null 2>&1; then
	benchstat "$out/old.txt" "$out/new.txt"
else
	echo "benchstat not installed (go install golang.org/x/perf/cmd/benchstat@latest); raw results in $out"
fi
