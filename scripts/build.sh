#!/usr/bin/env bash
# The release build both README commands use: the server and the console's bundle
# (cargo-leptos, which empties target/site first), then the widget's own bundle into it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

cargo leptos build --release
bash scripts/build-widget.sh
