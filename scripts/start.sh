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

echo "start.sh: building, then serving at http://${BIND_ADDR:-127.0.0.1:3000} (data: ${DATA_DIR:-./data})"
bash scripts/build.sh
# What `cargo leptos serve` would pass; the server is started directly because that command
# rebuilds and so would remove the widget's bundle again.
export LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=helpdesk LEPTOS_ENV=PROD
exec target/release/server "$@"
