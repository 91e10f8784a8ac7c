#!/usr/bin/env bash
# Delivery latency with two nodes on one PostgreSQL: `roundtrip` with the visitor on node A and
# staff on node B (every message crosses through LISTEN/NOTIFY), beside both on node A.
# Needs the release build and PostgreSQL (TEST_DATABASE_URL, as set by scripts/postgres.sh).
#
#   source scripts/postgres.sh && bench/scripts/two-nodes.sh [--messages 300]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
: "${TEST_DATABASE_URL:?source scripts/postgres.sh first}"
OUT="${OUT:-$ROOT/bench/results/$(date -u +%F).jsonl}"
SERVER="$ROOT/target/release/server"
[ -x "$SERVER" ] || { echo "two-nodes.sh: build first: scripts/build.sh" >&2; exit 1; }

database="helpdesk_test_bench_$$"
DATA_DIR="$(mktemp -d -t hd-bench-nodes.XXXXXX)"
export DATA_DIR DATABASE_URL="${TEST_DATABASE_URL%/*}/$database"
export LEPTOS_SITE_ROOT="$ROOT/target/site" LEPTOS_OUTPUT_NAME=helpdesk LEPTOS_ENV=PROD RUST_LOG=warn
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT
psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $database"
# The staff member the bench programs sign in as (bench/src/proc.rs).
"$SERVER" staff add --name "Bench Staff" --email bench@example.com --password bench-password-1 --admin >/dev/null

for port in 3201 3202; do
  BIND_ADDR="127.0.0.1:$port" LEPTOS_SITE_ADDR="127.0.0.1:$port" "$SERVER" &
  pids+=("$!")
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done
done

cargo build -q -p bench --release --bin roundtrip
"$ROOT/target/release/roundtrip" --url http://127.0.0.1:3201 --staff-url http://127.0.0.1:3202 \
  --json-out "$OUT" "$@"
