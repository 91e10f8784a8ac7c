// Time to interactive of the opened widget, in headless Chromium (Debian's, no download).
//
//   node bench/scripts/tti.mjs --url http://127.0.0.1:3000 [--runs 7]
//
// "Interactive" = the pre-chat form's submit button ("Start chat", or "Leave a message" when
// nobody is online) exists: the server sends an empty page and the form appears only once its
// WASM has loaded and run. Each run then clicks the button on the empty form and waits for the
// client-side field errors, to prove it responds (that delay is reported too). `widget` keeps a
// staff console socket open meanwhile, so the button says "Start chat". The `widget` runs then
// fill in the form and start a chat: "chat ready" is the time from that click to the
// conversation's message box, which includes the conversation's bundle (fetched from the first
// keystroke, so here with almost no head start; a person typing gives it seconds). Then the page
// is reloaded, as by a visitor coming back: "after a reload" is navigation -> that box again.
//
// Scenarios (each in a fresh browser context, so nothing is cached):
//   widget      /widget opened directly, loopback network, no throttling
//   widget-slow /widget with 4x CPU slowdown and a "fast 4G" network (9 Mbit/s, 40 ms RTT)
//   demo-click  the host page /demo, then a click on the loader's button: click -> form ready
//               inside the iframe
// Prints a line per run and one JSON line last (medians and the resources of the last run).

import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';

const require = createRequire(new URL('../../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const base = arg('url', 'http://127.0.0.1:3000').replace(/\/$/, '');
const runs = Number(arg('runs', '7'));
const executablePath =
  process.env.CHROMIUM_PATH || execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();

// Runs in every frame before the page's own scripts.
const INIT = () => {
  window.__hd = window.__hd || {};
  const mark = (name) => {
    if (!(name in window.__hd)) window.__hd[name] = performance.now();
  };
  const check = () => {
    if (document.querySelector('form.prechat button[type=submit]')) mark('form');
    if (document.querySelector('form.composer textarea')) mark('chat');
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true });
};

// Clicks "Start chat" on the empty form; resolves with the ms until a field shows its error.
const RESPONDS = () =>
  new Promise((resolve) => {
    const button = document.querySelector('form.prechat button[type=submit]');
    const t0 = performance.now();
    button.click();
    const poll = () => {
      if (document.querySelector('.field.invalid')) resolve(performance.now() - t0);
      else if (performance.now() - t0 > 10000) resolve(-1);
      else requestAnimationFrame(poll);
    };
    poll();
  });

const TIMINGS = () => {
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    form_ms: window.__hd.form,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
    load_ms: nav.loadEventEnd,
    resources: [
      { name: nav.name, transfer: nav.transferSize, encoded: nav.encodedBodySize, decoded: nav.decodedBodySize, end_ms: nav.responseEnd },
      ...performance.getEntriesByType('resource').map((r) => ({
        name: r.name,
        transfer: r.transferSize,
        encoded: r.encodedBodySize,
        decoded: r.decodedBodySize,
        end_ms: r.responseEnd,
      })),
    ],
  };
};

async function widgetRun(browser, slow) {
  const context = await browser.newContext();
  await context.addInitScript(INIT);
  const page = await context.newPage();
  if (slow) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 40,
      downloadThroughput: (9 * 1024 * 1024) / 8,
      uploadThroughput: (1.5 * 1024 * 1024) / 8,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  }
  await page.goto(`${base}/widget`, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__hd && window.__hd.form !== undefined, null, { timeout: 60000 });
  await page.waitForLoadState('load');
  const t = await page.evaluate(TIMINGS);
  t.responds_ms = await page.evaluate(RESPONDS);
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Tia Timing');
  await page.getByRole('textbox', { name: 'Email' }).fill('tia@example.com');
  await page.getByRole('textbox', { name: 'Question' }).fill('How long does this take?');
  const clicked = await page.evaluate(() => {
    document.querySelector('form.prechat button[type=submit]').click();
    return performance.now();
  });
  await page.waitForFunction(() => window.__hd.chat !== undefined, null, { timeout: 60000 });
  t.chat_ms = (await page.evaluate(() => window.__hd.chat)) - clicked;
  // The visitor comes back (a reload, assets cached): navigation -> the conversation's box.
  await page.reload({ waitUntil: 'commit' });
  await page.waitForFunction(() => window.__hd && window.__hd.chat !== undefined, null, { timeout: 60000 });
  t.return_ms = await page.evaluate(() => window.__hd.chat);
  await context.close();
  return t;
}

async function demoRun(browser) {
  const context = await browser.newContext();
  await context.addInitScript(INIT);
  const page = await context.newPage();
  await page.goto(`${base}/demo`, { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Chat with us' }).waitFor();
  const clickAt = await page.evaluate(() => {
    const at = performance.timeOrigin + performance.now();
    [...document.querySelectorAll('button')].find((b) => b.textContent === 'Chat with us').click();
    return at;
  });
  let frame;
  for (let i = 0; i < 600 && !frame; i++) {
    frame = page.frames().find((f) => f.url().includes('/widget'));
    if (!frame) await page.waitForTimeout(10);
  }
  await frame.waitForFunction(() => window.__hd && window.__hd.form !== undefined, null, { timeout: 60000 });
  const formAt = await frame.evaluate(() => performance.timeOrigin + window.__hd.form);
  const responds = await frame.evaluate(RESPONDS);
  await context.close();
  return { click_to_form_ms: formAt - clickAt, responds_ms: responds };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};
const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
});
const out = { widget: [], widget_slow: [], demo_click: [] };
let last;
try {
  // One warm-up load (the server's first compression of each asset), not counted.
  await widgetRun(browser, false);
  for (let i = 0; i < runs; i++) {
    const t = await widgetRun(browser, false);
    last = t;
    out.widget.push(t);
    console.log(`widget      run ${i + 1}: form ready ${r1(t.form_ms)} ms after navigation (load event ${r1(t.load_ms)} ms); click answered in ${r1(t.responds_ms)} ms; chat ready ${r1(t.chat_ms)} ms after Start chat, ${r1(t.return_ms)} ms after a reload`);
  }
  for (let i = 0; i < Math.min(runs, 3); i++) {
    const t = await widgetRun(browser, true);
    out.widget_slow.push(t);
    console.log(`widget-slow run ${i + 1}: form ready ${r1(t.form_ms)} ms (4x CPU, fast 4G); chat ready ${r1(t.chat_ms)} ms after Start chat, ${r1(t.return_ms)} ms after a reload`);
  }
  for (let i = 0; i < runs; i++) {
    const t = await demoRun(browser);
    out.demo_click.push(t);
    console.log(`demo-click  run ${i + 1}: click -> form ready in the iframe ${r1(t.click_to_form_ms)} ms`);
  }
} finally {
  await browser.close();
}
const bytes = (last?.resources ?? []).map((r) => ({ ...r, name: r.name.replace(base, '') }));
const summary = {
  chromium: browser.version(),
  runs,
  widget_form_ms_median: r1(median(out.widget.map((t) => t.form_ms))),
  widget_form_ms_max: r1(Math.max(...out.widget.map((t) => t.form_ms))),
  widget_load_ms_median: r1(median(out.widget.map((t) => t.load_ms))),
  widget_click_answer_ms_median: r1(median(out.widget.map((t) => t.responds_ms))),
  widget_chat_ms_median: r1(median(out.widget.map((t) => t.chat_ms))),
  widget_return_ms_median: r1(median(out.widget.map((t) => t.return_ms))),
  widget_slow_form_ms_median: r1(median(out.widget_slow.map((t) => t.form_ms))),
  widget_slow_chat_ms_median: r1(median(out.widget_slow.map((t) => t.chat_ms))),
  widget_slow_return_ms_median: r1(median(out.widget_slow.map((t) => t.return_ms))),
  demo_click_to_form_ms_median: r1(median(out.demo_click.map((t) => t.click_to_form_ms))),
  transferred_bytes: bytes.reduce((a, r) => a + (r.transfer || 0), 0),
  resources: bytes,
};
console.log(`median: form ready ${summary.widget_form_ms_median} ms (direct), chat ready ${summary.widget_chat_ms_median} ms after Start chat and ${summary.widget_return_ms_median} ms after a reload, ${summary.widget_slow_form_ms_median} ms (4x CPU, fast 4G), ${summary.demo_click_to_form_ms_median} ms from the loader click; ${summary.transferred_bytes} bytes transferred`);
console.log(JSON.stringify(summary));
