#!/usr/bin/env bash
# Second command of the README: installs the tools, then runs every test suite.
# Exits non-zero on the first failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/install.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

step() { printf '\n==> %s\n' "$*"; }

# --- 1. Rust tests ---------------------------------------------------------------------
# LEPTOS_OUTPUT_NAME matches what cargo-leptos bakes in, so Leptos is not rebuilt
# between this build and the cargo-leptos one. The storage suites (app/tests) run on
# SQLite and PostgreSQL each; the server suites run once per backend.
step "PostgreSQL"
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
step "Rust tests: cargo test -p app -p server (server suites on SQLite)"
LEPTOS_OUTPUT_NAME=helpdesk cargo test -p app -p server
step "Rust tests: server suites on PostgreSQL"
LEPTOS_OUTPUT_NAME=helpdesk TEST_BACKEND=postgres cargo test -p server --tests

# --- 2. Release build (server binary + the console's and the widget's bundles in target/site)
step "Build: scripts/build.sh (cargo leptos build --release, then the widget's bundles)"
bash scripts/build.sh

# --- 3. End-to-end tests in Chromium -------------------------------------------------
# playwright.config.ts starts a fresh, seeded server (end2end/serve-fresh.sh).
step "End-to-end tests: playwright"
cd end2end
npx --no-install playwright test
