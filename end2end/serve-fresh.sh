#!/usr/bin/env bash
# Run by Playwright's webServer (see playwright.config.ts): a fresh server for one test
# run. Creates a new temporary data directory, seeds departments and staff through the
# server's CLI, then serves on 127.0.0.1:$E2E_PORT (3100 by default) until stopped.
# With E2E_NODES="3101 3102": several nodes instead, on a fresh PostgreSQL database made under
# TEST_DATABASE_URL (see scripts/postgres.sh), sharing one data directory, one per port; the
# first port answers last, so once it does every node is up.
# Needs target/release/server and target/site from scripts/build.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SERVER="${SERVER_BIN:-$ROOT/target/release/server}"
if [ ! -x "$SERVER" ]; then
  echo "serve-fresh.sh: target/release/server not found; run scripts/build.sh first" >&2
  exit 1
fi

DATA_DIR="$(mktemp -d -t helpdesk-e2e.XXXXXX)"
export DATA_DIR
PORTS="${E2E_NODES:-${E2E_PORT:-3100}}"
export LEPTOS_SITE_ROOT="${SITE_ROOT:-target/site}"
export LEPTOS_OUTPUT_NAME="helpdesk"
export LEPTOS_ENV="PROD"

database=""
if [ -n "${E2E_NODES:-}" ]; then
  : "${TEST_DATABASE_URL:?several nodes need PostgreSQL: run scripts/test.sh, or source scripts/postgres.sh}"
  database="helpdesk_test_e2e_$$"
  psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $database"
  export DATABASE_URL="${TEST_DATABASE_URL%/*}/$database"
fi
echo "serve-fresh.sh: data directory $DATA_DIR, serving on $PORTS${database:+ (PostgreSQL $database)}" >&2

server_pids=()
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$database" ]; then
    psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
  fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

PASSWORD='secret-pass'
"$SERVER" department add "Sales"
"$SERVER" department add "Support"
"$SERVER" department add "Billing"  # nobody works here: the "Leave a message" test (tickets.spec.ts)
"$SERVER" staff add --name "Ann Lee" --email ann@example.com --password "$PASSWORD" --department "Sales" --admin
"$SERVER" staff add --name "Bob Stone" --email bob@example.com --password "$PASSWORD" --department "Sales"
"$SERVER" staff add --name "Cara Diaz" --email cara@example.com --password "$PASSWORD" --department "Support"

# Last port first, each up before the next starts.
for port in $(echo "$PORTS" | tr ' ' '\n' | tac); do
  BIND_ADDR="127.0.0.1:$port" LEPTOS_SITE_ADDR="127.0.0.1:$port" "$SERVER" &
  server_pids+=("$!")
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null; do
    kill -0 "${server_pids[-1]}" || exit 1
    sleep 0.2
  done
done
# One node stopping ends the run.
wait -n "${server_pids[@]}"
