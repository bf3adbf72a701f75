#!/bin/sh
# paired-suite.sh: the echo suite of an older revision and of the working
# tree, run in alternation (old, new, old, new, ...), each run with raw
# gnet beside asyncnet, so that every ratio to gnet is paired within a run
# and the machine's drift falls on both trees alike.
#
#   bench/scripts/paired-suite.sh OLDREV [RUNS] [SCENARIOS]
#
# Results: ${OUT:-/tmp/paired-suite}/{old,new}_N/echo.csv, and a table of
# the median ratios (msgs/s and server CPU per message, ÷ gnet).
set -eu
old=$1 runs=${2:-3} scen=${3:-100c-64B-d1,100c-64B-d16,10kc-idle-1pct}
out=${OUT:-/tmp/paired-suite}
root=$(git rev-parse --show-toplevel)
mkdir -p "$out"
wt=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1 || true' EXIT
git -C "$root" worktree add --detach "$wt" "$old" >/dev/null
(cd "$wt/bench" && go build -o "$out/old-server" ./cmd/benchserver && go build -o "$out/old-run" ./cmd/benchrun)
(cd "$root/bench" && go build -o "$out/new-server" ./cmd/benchserver && go build -o "$out/new-run" ./cmd/benchrun)
flags="-idle 0 -tools=false -rounds 1 -warmup 500ms -duration 2s -impls asyncnet,gnet -scenarios $scen"
i=1
while [ $i -le "$runs" ]; do
	(cd "$wt/bench" && "$out/old-run" -server "$out/old-server" $flags -out "$out/old_$i" >/dev/null)
	# The churn, burst and tool loads exist only in newer suites: none here.
	(cd "$root/bench" && "$out/new-run" -server "$out/new-server" $flags -churn "" -burst 0 -tool-loads "" -out "$out/new_$i" >/dev/null)
	i=$((i + 1))
done
python3 - "$out" "$runs" <<'PY'
import csv, statistics as st, sys
out, runs = sys.argv[1], int(sys.argv[2])
def ratios(tree):
    res = {}
    for i in range(1, runs + 1):
        rows = {(r["scenario"], r["impl"]): r for r in csv.DictReader(open(f"{out}/{tree}_{i}/echo.csv"))}
        for sc in sorted({k[0] for k in rows}):
            a, g = rows[(sc, "asyncnet")], rows[(sc, "gnet")]
            cpu = lambda r: float(r["server_cpu_s"]) / float(r["msgs"])
            res.setdefault(sc, []).append((float(a["msgs_per_s"]) / float(g["msgs_per_s"]), cpu(a) / cpu(g)))
    return res
o, n = ratios("old"), ratios("new")
print("| scenario | msgs/s ÷ gnet, old → new | server CPU/msg ÷ gnet, old → new |")
print("|---|---:|---:|")
for sc in o:
    m = lambda d, k: st.median(x[k] for x in d[sc])
    print(f"| {sc} | {m(o,0):.2f} → {m(n,0):.2f} | {m(o,1):.2f} → {m(n,1):.2f} |")
PY
