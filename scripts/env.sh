# shellcheck shell=bash
# Sourced (never run) by the other scripts: puts the project's tools on PATH for the
# current shell only. Nothing is written to any profile.
#   - end2end/node_modules/.bin first, so `wasm-opt` is the npm `binaryen` build
#     (Debian's binaryen produces a broken WASM bundle for this project);
#   - cargo's bin directory, for cargo-leptos and wasm-bindgen.
HELPDESK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export HELPDESK_ROOT
_helpdesk_cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in
  *":$HELPDESK_ROOT/end2end/node_modules/.bin:"*) ;;
  *) PATH="$HELPDESK_ROOT/end2end/node_modules/.bin:$PATH" ;;
esac
case ":$PATH:" in
  *":$_helpdesk_cargo_bin:"*) ;;
  *) PATH="$PATH:$_helpdesk_cargo_bin" ;;
esac
export PATH
unset _helpdesk_cargo_bin
