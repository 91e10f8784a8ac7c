#!/usr/bin/env bash
# Run by Playwright's webServer (see playwright.config.ts): a fresh server for one test
# run. Creates a new temporary data directory, seeds departments and staff through the
# server's CLI, then serves on 127.0.0.1:$E2E_PORT (3100 by default) until stopped.
# Needs target/release/server and target/site from `cargo leptos build --release`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SERVER="${SERVER_BIN:-$ROOT/target/release/server}"
if [ ! -x "$SERVER" ]; then
  echo "serve-fresh.sh: target/release/server not found; run 'cargo leptos build --release' first" >&2
  exit 1
fi

DATA_DIR="$(mktemp -d -t helpdesk-e2e.XXXXXX)"
export DATA_DIR
export BIND_ADDR="127.0.0.1:${E2E_PORT:-3100}"
export LEPTOS_SITE_ADDR="$BIND_ADDR"
export LEPTOS_SITE_ROOT="${SITE_ROOT:-target/site}"
export LEPTOS_OUTPUT_NAME="helpdesk"
export LEPTOS_ENV="PROD"
echo "serve-fresh.sh: data directory $DATA_DIR, serving on $BIND_ADDR" >&2

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
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

"$SERVER" &
server_pid=$!
wait "$server_pid"
