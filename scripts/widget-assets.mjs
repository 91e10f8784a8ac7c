// The widget page's small assets, next to its WASM in the given directory (widget-pkg/):
//   - prechat.js and widget.js, the wasm-bindgen glue of its two bundles, minified in place
//     (cargo-leptos does the same for the console's glue);
//   - widget.css, the site's stylesheet (style/main.css) without the rules that no element of
//     the widget can match, so visitors do not load the console's and the admin pages' styles.
// A class the widget can set is a string in its WASMs (or in server/src/widget.html), so a rule is
// kept when every class its selector names occurs in those bytes. Matching substrings can keep a
// rule too many, never drop one the widget needs, as long as the widget writes each class whole
// (a class put together at run time, such as `format!("status-{s}")`, would not be found).
//
//   node scripts/widget-assets.mjs target/site/widget-pkg
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const esbuild = createRequire(join(root, "end2end", "package.json"))("esbuild");
const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/widget-assets.mjs <widget-pkg directory>");
  process.exit(2);
}

const bundles = ["prechat", "widget"];
const glue = bundles.map((name) => {
  const file = join(out, `${name}.js`);
  const js = readFileSync(file, "utf8");
  const minified = esbuild.transformSync(js, { loader: "js", format: "esm", minify: true }).code;
  writeFileSync(file, minified);
  return `${name}.js ${Buffer.byteLength(js)} → ${Buffer.byteLength(minified)} bytes`;
});

const haystack =
  bundles.map((name) => readFileSync(join(out, `${name}_bg.wasm`)).toString("latin1")).join("") +
  readFileSync(join(root, "server", "src", "widget.html"), "utf8");
const matchable = (selector) =>
  [...selector.matchAll(/\.(-?[_a-zA-Z][\w-]*)/g)].every(([, name]) => haystack.includes(name));

/** The rules of `css` (comments removed) whose selectors the widget can match; `@media` blocks
 * keep what matches inside them, other at-rules stay whole. */
function prune(css) {
  let kept = "";
  let at = 0;
  for (let open = css.indexOf("{", at); open >= 0; open = css.indexOf("{", at)) {
    let depth = 1;
    let end = open + 1;
    for (; depth > 0; end++) {
      if (end >= css.length) throw new Error(`unbalanced braces after: ${css.slice(at, open)}`);
      if (css[end] === "{") depth++;
      else if (css[end] === "}") depth--;
    }
    const prelude = css.slice(at, open).trim();
    const body = css.slice(open + 1, end - 1);
    if (prelude.startsWith("@media")) {
      const inner = prune(body);
      if (inner) kept += `${prelude}{${inner}}`;
    } else if (prelude.startsWith("@")) {
      kept += `${prelude}{${body}}`;
    } else {
      const selectors = prelude.split(",").map((s) => s.trim()).filter(matchable);
      if (selectors.length) kept += `${selectors.join(",")}{${body}}`;
    }
    at = end;
  }
  return kept;
}

const css = readFileSync(join(root, "style", "main.css"), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
const widgetCss = esbuild.transformSync(prune(css), { loader: "css", minify: true }).code;
writeFileSync(join(out, "widget.css"), widgetCss);
console.log(
  `widget-assets.mjs: ${glue.join(", ")}, ` +
    `widget.css ${Buffer.byteLength(widgetCss)} bytes (main.css ${Buffer.byteLength(css)})`,
);
