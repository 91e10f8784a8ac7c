#!/usr/bin/env bash
# First command of the README: installs the tools, then builds and serves the app.
# Serves at 127.0.0.1:3000 unless BIND_ADDR is set; data goes to ./data unless DATA_DIR
# is set (both are passed through to the server untouched).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/install.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

if [ -n "${BIND_ADDR:-}" ]; then
  # Keep cargo-leptos's idea of the address in step with the server's.
  export LEPTOS_SITE_ADDR="$BIND_ADDR"
fi
echo "start.sh: building and serving at http://${BIND_ADDR:-127.0.0.1:3000} (data: ${DATA_DIR:-./data})"
exec cargo leptos serve --release "$@"
