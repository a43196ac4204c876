#!/usr/bin/env bash
# The floor under every `cellcoloc` run on this machine: Node's own start-up (`node -e 0`), the bundled CLI's
# start-up (`cellcoloc --version`) and the cost of fresh memory (bench/fresh-memory.mjs). 21 runs per command:
# minimum and median wall time, and the median CPU time (user + system, GNU time), which a loaded shared machine
# inflates far less than the wall time. Run from the package folder after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=21
measure() {
  local f
  f=$(mktemp)
  if [ -x /usr/bin/time ]; then
    for _ in $(seq $runs); do /usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1; done > "$f"
  else
    for _ in $(seq $runs); do local s=$EPOCHREALTIME; "$@" >/dev/null 2>&1; echo "$(echo "$EPOCHREALTIME - $s" | bc -l) NaN 0"; done > "$f"
  fi
  local w c
  w=$(awk '{print $1}' "$f" | sort -n)
  c=$(awk '{print $2 + $3}' "$f" | sort -n)
  echo "min wall $(echo "$w" | head -1) s, median wall $(echo "$w" | sed -n "$(( (runs + 1) / 2 ))p") s, median CPU $(echo "$c" | sed -n "$(( (runs + 1) / 2 ))p") s"
  rm -f "$f"
}
echo "baseline ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'))"
echo "  node -e 0:             $(measure node -e 0)"
echo "  cellcoloc --version:   $(measure node bin/cellcoloc.mjs --version)"
node bench/fresh-memory.mjs
