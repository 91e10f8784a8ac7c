#!/usr/bin/env bash
# Builds the visitor widget's own two bundles into target/site/widget-pkg/: the pre-chat form
# (frontend/prechat, no Leptos), which is what opens, and the conversation (frontend/widget,
# Leptos in client-side mode, views type-erased), which the form starts. WASM for the browser,
# then wasm-bindgen and wasm-opt as cargo-leptos does for the console's bundle, then their
# minified glue and the widget's own stylesheet (scripts/widget-assets.mjs). Its own target
# directory: the features and flags differ from the console's bundle. Run after
# `cargo leptos build`, which empties target/site.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
OUT="$SITE_ROOT/widget-pkg"
BUILT="target/widget/wasm32-unknown-unknown/wasm-release"

echo "build-widget.sh: building the widget bundles into $OUT"
# erase_components: every component returns a type-erased view, far fewer generic instances.
RUSTFLAGS="--cfg erase_components" cargo build --package=prechat --package=widget --lib \
  --target-dir=target/widget --target=wasm32-unknown-unknown --profile=wasm-release
mkdir -p "$OUT"
for name in prechat widget; do
  wasm-bindgen --target=web --no-typescript --out-name="$name" --out-dir="$OUT" "$BUILT/$name.wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$OUT/${name}_bg.wasm" -o "$OUT/${name}_bg.wasm"
done
# The glue minified, and the widget's own stylesheet (the rules of style/main.css it can match).
node scripts/widget-assets.mjs "$OUT"
# Compressed copies for the server to send as they are (Node's zlib: brotli 11, gzip 9).
node -e '
const zlib = require("zlib"), fs = require("fs");
for (const file of process.argv.slice(1)) {
  const data = fs.readFileSync(file);
  fs.writeFileSync(file + ".br", zlib.brotliCompressSync(data, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  }));
  fs.writeFileSync(file + ".gz", zlib.gzipSync(data, { level: 9 }));
}' "$OUT/prechat_bg.wasm" "$OUT/prechat.js" "$OUT/widget_bg.wasm" "$OUT/widget.js" "$OUT/widget.css"
ls -l "$OUT"
