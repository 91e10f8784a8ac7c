#!/usr/bin/env bash
# Runs every benchmark and appends their JSON lines to bench/results/<date>.jsonl.
# Needs the release build (target/release/server, target/site) from
#   source scripts/env.sh && scripts/build.sh
# target/site is shared with debug builds (`cargo leptos build` overwrites it); to pin the release
# site elsewhere:  LEPTOS_SITE_ROOT=/tmp/hd-site-release scripts/build.sh
# and run with SITE_ROOT=/tmp/hd-site-release.
# Take final figures on a quiet machine: these programs share the CPUs with the server.
#
#   bench/scripts/run-all.sh            # moderate sizes (about 10 minutes)
#   SIZE=full bench/scripts/run-all.sh  # the issue's sizes (10,000 chats, 5,000 msg/s; the set-up
#                                       # alone takes ~12 min today, see BENCHMARKS.md)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${OUT:-$ROOT/bench/results/$(date -u +%F).jsonl}"
SITE_ROOT="${SITE_ROOT:-$ROOT/target/site}"
mkdir -p "$(dirname "$OUT")"

for need in target/release/server "$SITE_ROOT/pkg/helpdesk.js"; do
  if [ ! -e "$need" ]; then
    echo "run-all.sh: $need is missing; run: source scripts/env.sh && scripts/build.sh" >&2
    exit 1
  fi
done

cargo build -p bench --release
BIN="$ROOT/target/release"

echo "== widget weight and time to interactive"
"$BIN/widget" --site-root "$SITE_ROOT" --tti --json-out "$OUT"

echo "== console: open a chat of 1,000 messages"
"$BIN/console" --site-root "$SITE_ROOT" --json-out "$OUT"

echo "== roundtrip: one quiet chat, closed loop"
"$BIN/roundtrip" --json-out "$OUT"

if [ "${SIZE:-moderate}" = full ]; then
  echo "== load: 10,000 chats, 5,000 msg/s, 60 s (staff socket per 500 chats: 20,000 sockets do not fit RLIMIT_NOFILE here)"
  "$BIN/load" --chats 10000 --rate 5000 --duration 60 --chats-per-staff 500 --json-out "$OUT"
  echo "== throughput"
  "$BIN/throughput" --chats 10000 --chats-per-staff 500 --json-out "$OUT"
else
  echo "== load: 1,000 chats, 1,000 msg/s, 20 s, a staff socket per 10 chats"
  "$BIN/load" --chats 1000 --rate 1000 --duration 20 --chats-per-staff 10 --json-out "$OUT"
  echo "== load: memory of 17,000 idle visitor tabs"
  "$BIN/load" --chats 1000 --rate 100 --duration 5 --chats-per-staff 100 --idle-tabs 17000 --parallel 128 --json-out "$OUT"
  echo "== throughput: 1,000 chats"
  "$BIN/throughput" --chats 1000 --chats-per-staff 10 --json-out "$OUT"
fi
echo "== search: 100,000 generated articles"
"$BIN/search" --json-out "$OUT"
echo "JSON lines appended to $OUT"
