#!/usr/bin/env bash
# Installs everything needed to build, serve and test the project. Idempotent: each item
# is checked first and prints "ok: X" when present, "installing: X" otherwise.
#
# Needs only rustup, cargo, node and npm (plus apt-get, as root or via sudo, when
# Chromium is missing). Installs:
#   - the wasm32-unknown-unknown Rust target
#   - Chromium (Debian package) for the Playwright tests
#   - end2end/ npm packages (@playwright/test, binaryen for wasm-opt, esbuild for the widget's
#     glue and stylesheet, typescript)
#   - wasm-bindgen-cli, at exactly the wasm-bindgen version in Cargo.lock
#   - cargo-leptos 0.3.10 built with `no_downloads` (it then uses wasm-bindgen and
#     wasm-opt from PATH instead of downloading them)
#   - Python's aiosmtpd, the real SMTP server the ticket email tests start (pip, or
#     Debian's python3-aiosmtpd)
#   - PostgreSQL (Debian package) for the storage and server suites on PostgreSQL
#
# INSTALL_SKIP="cargo-leptos wasm-bindgen ..." skips the named items (prints "skipped: X").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh

CARGO_LEPTOS_VERSION="0.3.10"

ok() { echo "ok: $*"; }
installing() { echo "installing: $*"; }
die() { echo "install.sh: $*" >&2; exit 1; }
skipped() {
  local list="${INSTALL_SKIP:-}"
  case " ${list//,/ } " in
    *" $1 "*) echo "skipped: $1 (INSTALL_SKIP)"; return 0 ;;
  esac
  return 1
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

# --- base tools (not installed here) -------------------------------------------------
for tool in rustup cargo node npm; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required but not on PATH"
done
ok "base tools ($(cargo --version | cut -d' ' -f1-2), node $(node --version), npm $(npm --version 2>/dev/null))"

# --- Rust WASM target ----------------------------------------------------------------
if ! skipped wasm32-target; then
  if rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
    ok "rust target wasm32-unknown-unknown"
  else
    installing "rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
fi

# --- Chromium (Debian package; Playwright never downloads a browser here) ------------
if ! skipped chromium; then
  if command -v chromium >/dev/null 2>&1; then
    ok "chromium ($(command -v chromium))"
  else
    installing "chromium"
    export DEBIAN_FRONTEND=noninteractive
    # Only refresh the package lists when the install cannot find the package.
    if ! as_root apt-get install -y --no-install-recommends chromium; then
      as_root apt-get update
      as_root apt-get install -y --no-install-recommends chromium
    fi
    command -v chromium >/dev/null 2>&1 || die "chromium still not on PATH after apt-get"
  fi
fi

# --- end2end npm packages ------------------------------------------------------------
if ! skipped npm; then
  stamp_file="end2end/node_modules/.helpdesk-install-stamp"
  npm_stamp() {
    cat end2end/package.json end2end/package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1
  }
  if [ -d end2end/node_modules ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$(npm_stamp)" ]; then
    ok "npm packages in end2end/"
  else
    installing "npm packages in end2end/"
    if [ -f end2end/package-lock.json ]; then
      (cd end2end && npm ci --no-audit --no-fund)
    else
      (cd end2end && npm install --no-audit --no-fund)
    fi
    npm_stamp > "$stamp_file"
  fi
fi

# --- wasm-opt: must be the npm binaryen, not Debian's --------------------------------
if ! skipped wasm-opt; then
  want_wasm_opt="$ROOT/end2end/node_modules/.bin/wasm-opt"
  [ -x "$want_wasm_opt" ] || die "wasm-opt missing from end2end/node_modules/.bin (is binaryen in end2end/package.json?)"
  [ "$(command -v wasm-opt)" = "$want_wasm_opt" ] || die "wasm-opt on PATH is $(command -v wasm-opt), expected end2end/node_modules/.bin/wasm-opt"
  ok "wasm-opt ($(wasm-opt --version), npm binaryen)"
fi

# --- wasm-bindgen-cli, same version as the wasm-bindgen crate in Cargo.lock ----------
if ! skipped wasm-bindgen; then
  if [ ! -f Cargo.lock ]; then
    # Writes Cargo.lock (the same resolution a build would make).
    cargo metadata --format-version 1 >/dev/null
  fi
  wb_version="$(awk '
    /^\[\[package\]\]/ { in_wb = 0 }
    /^name = "wasm-bindgen"$/ { in_wb = 1; next }
    in_wb && /^version = / { gsub(/"/, "", $3); print $3; exit }
  ' Cargo.lock)"
  [ -n "$wb_version" ] || die "no wasm-bindgen package in Cargo.lock"
  have_wb="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have_wb" = "$wb_version" ]; then
    ok "wasm-bindgen-cli $wb_version"
  else
    installing "wasm-bindgen-cli $wb_version${have_wb:+ (found $have_wb)}"
    cargo install "wasm-bindgen-cli@$wb_version"
  fi
fi

# --- aiosmtpd: a real SMTP server for the ticket email tests (server/tests/tickets.rs) ---
if ! skipped aiosmtpd; then
  if ! command -v python3 >/dev/null 2>&1; then
    installing "python3"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y --no-install-recommends python3 \
      || { as_root apt-get update && as_root apt-get install -y --no-install-recommends python3; }
  fi
  if python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    ok "aiosmtpd $(python3 -c 'import aiosmtpd; print(aiosmtpd.__version__)')"
  else
    installing "aiosmtpd"
    export DEBIAN_FRONTEND=noninteractive
    python3 -m pip install --quiet --disable-pip-version-check aiosmtpd 2>/dev/null \
      || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages aiosmtpd 2>/dev/null \
      || as_root apt-get install -y --no-install-recommends python3-aiosmtpd \
      || { as_root apt-get update && as_root apt-get install -y --no-install-recommends python3-aiosmtpd; }
    python3 -c 'import aiosmtpd' >/dev/null 2>&1 || die "python3 still cannot import aiosmtpd"
  fi
fi

# --- PostgreSQL (the second backend; scripts/postgres.sh starts it for the tests) -------
if ! skipped postgresql; then
  if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    ok "postgresql ($(ls -d /usr/lib/postgresql/*/ | xargs -n1 basename | tr '\n' ' '))"
  else
    installing "postgresql"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y --no-install-recommends postgresql; then
      as_root apt-get update
      as_root apt-get install -y --no-install-recommends postgresql
    fi
  fi
fi

# --- cargo-leptos --------------------------------------------------------------------
if ! skipped cargo-leptos; then
  leptos_version() { cargo-leptos --version 2>/dev/null | awk '{print $2}' || true; }
  if [ "$(leptos_version)" != "$CARGO_LEPTOS_VERSION" ] && command -v pgrep >/dev/null 2>&1 \
     && pgrep -f 'cargo install cargo-leptos' >/dev/null 2>&1; then
    echo "waiting: cargo-leptos (another 'cargo install cargo-leptos' is running)"
    while pgrep -f 'cargo install cargo-leptos' >/dev/null 2>&1; do sleep 15; done
  fi
  have_cl="$(leptos_version)"
  if [ "$have_cl" = "$CARGO_LEPTOS_VERSION" ]; then
    ok "cargo-leptos $CARGO_LEPTOS_VERSION"
  else
    installing "cargo-leptos $CARGO_LEPTOS_VERSION${have_cl:+ (found $have_cl)} (takes ~25 min)"
    cargo install "cargo-leptos@$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
fi
