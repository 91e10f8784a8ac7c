#!/usr/bin/env bash
# Runs every benchmark at a moderate size and appends their JSON lines to bench/results.jsonl.
# Needs the release build (target/release/server, target/site) from
#   source scripts/env.sh && cargo leptos build --release
# Take final figures on a quiet machine: these programs share the CPUs with the server.
#
#   bench/scripts/run-all.sh            # moderate sizes (a few minutes)
#   SIZE=full bench/scripts/run-all.sh  # the issue's sizes (10,000 chats, 5,000 msg/s)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${OUT:-$ROOT/bench/results.jsonl}"

for need in target/release/server target/site/pkg/helpdesk.js; do
  if [ ! -e "$need" ]; then
    echo "run-all.sh: $need is missing; run: source scripts/env.sh && cargo leptos build --release" >&2
    exit 1
  fi
done

cargo build -p bench --release
BIN="$ROOT/target/release"

echo "== widget weight and time to interactive"
"$BIN/widget" --tti --json-out "$OUT"

echo "== console: open a chat of 1,000 messages"
"$BIN/console" --json-out "$OUT"

if [ "${SIZE:-moderate}" = full ]; then
  echo "== load: 10,000 chats, 5,000 msg/s, 60 s (staff socket per 500 chats: 20,000 sockets do not fit RLIMIT_NOFILE here)"
  "$BIN/load" --chats 10000 --rate 5000 --duration 60 --chats-per-staff 500 --json-out "$OUT"
  echo "== throughput"
  "$BIN/throughput" --chats 10000 --chats-per-staff 500 --json-out "$OUT"
else
  echo "== load: 1,000 chats, 1,000 msg/s, 20 s, a staff socket per chat"
  "$BIN/load" --chats 1000 --rate 1000 --duration 20 --json-out "$OUT"
  echo "== throughput: 1,000 chats"
  "$BIN/throughput" --chats 1000 --chats-per-staff 50 --json-out "$OUT"
fi
echo "JSON lines appended to $OUT"
