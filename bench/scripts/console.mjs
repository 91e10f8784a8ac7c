// Time for the staff console to open a chat of 1,000 messages, in headless Chromium.
//
//   node bench/scripts/console.mjs --url http://127.0.0.1:3000 --email E --password P --chat ID --last TEXT [--count 1001] [--runs 5]
//
// Signs in, loads /console, waits for the chat in the list, then inside the page:
// performance.mark + click on the chat -> a MutationObserver sees the newest message (the one
// whose text starts with --last) in `.transcript` ("rendered"), then the next animation frame
// ("painted"). A WebSocket hook notes when the chat's events frame arrived, splitting server +
// network time from rendering time. The console opens a long chat on its newest page of events,
// so each run then clicks "Show earlier messages" until count `.transcript .msg` are in the DOM
// ("all"), timing the clicks alone.
// Prints a line per run and one JSON line last.

import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';

const require = createRequire(new URL('../../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const base = arg('url', 'http://127.0.0.1:3000').replace(/\/$/, '');
const email = arg('email', 'bench@example.com');
const password = arg('password', 'bench-password-1');
const chat = Number(arg('chat', '1'));
const count = Number(arg('count', '1001'));
const last = arg('last', '');
const runs = Number(arg('runs', '5'));
const executablePath =
  process.env.CHROMIUM_PATH || execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();

// Notes the arrival of every events frame (before the app's own handler runs).
const INIT = () => {
  const Orig = window.WebSocket;
  function Hooked(...a) {
    const ws = new Orig(...a);
    ws.addEventListener('message', (e) => {
      if (typeof e.data === 'string' && e.data.startsWith('{"events":')) {
        (window.__hdFrames = window.__hdFrames || []).push({ at: performance.now(), bytes: e.data.length });
      }
    });
    return ws;
  }
  Hooked.prototype = Orig.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Hooked[k] = Orig[k];
  window.WebSocket = Hooked;
};

const OPEN = ({ chat, last }) =>
  new Promise((resolve) => {
    const link = document.querySelector(`a[href="/console?chat=${chat}"]`);
    const before = (window.__hdFrames || []).length;
    // Main-thread tasks over 50 ms while the chat opens: where the time goes when it is slow.
    const long = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) if (e.startTime >= t0) long.push([Math.round(e.startTime - t0), Math.round(e.duration)]);
    }).observe({ type: 'longtask' });
    const finish = (extra) => {
      const frame = (window.__hdFrames || []).slice(before).sort((a, b) => b.bytes - a.bytes)[0];
      resolve({ ...extra, long_tasks: long, frame_ms: frame ? frame.at - t0 : null, frame_bytes: frame ? frame.bytes : null });
    };
    const done = () => {
      const bodies = document.querySelectorAll('.transcript .msg .body');
      return bodies.length > 0 && bodies[bodies.length - 1].textContent.startsWith(last);
    };
    const observer = new MutationObserver(() => {
      if (!done()) return;
      observer.disconnect();
      const rendered = performance.now();
      performance.mark('hd-chat-rendered');
      performance.measure('hd-open-chat', 'hd-open-chat-start', 'hd-chat-rendered');
      requestAnimationFrame(() => {
        const frame = performance.now();
        setTimeout(() => finish({ rendered_ms: rendered - t0, frame_start_ms: frame - t0, painted_ms: performance.now() - t0 }), 0);
      });
    });
    observer.observe(document.body, { subtree: true, childList: true });
    setTimeout(() => {
      observer.disconnect();
      finish({ timeout: true, shown: document.querySelectorAll('.transcript .msg').length });
    }, 60000);
    performance.mark('hd-open-chat-start');
    const t0 = performance.now();
    link.click();
  });

// Clicks "Show earlier messages" until count messages are in the DOM. After each click it waits
// (frame by frame) for more messages to show, so a page that comes from the server is counted
// once; the time runs from the first click to the frame after the last page.
const ALL = ({ count }) =>
  new Promise((resolve) => {
    const shown = () => document.querySelectorAll('.transcript .msg').length;
    const t0 = performance.now();
    let clicks = 0;
    const step = () => {
      if (shown() >= count) return resolve({ all_ms: performance.now() - t0, clicks });
      const button = [...document.querySelectorAll('.transcript button')].find(
        (b) => b.textContent === 'Show earlier messages',
      );
      if (!button) return resolve({ all_ms: null, clicks, shown: shown() });
      const before = shown();
      button.click();
      clicks += 1;
      const asked = performance.now();
      const wait = () => {
        if (shown() > before) requestAnimationFrame(() => setTimeout(step, 0));
        else if (performance.now() - asked > 10000) resolve({ all_ms: null, clicks, shown: shown() });
        else requestAnimationFrame(wait);
      };
      wait();
    };
    step();
  });

const median = (xs) => {
  const s = [...xs].filter((x) => x != null).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};
const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
});
const results = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(INIT);
  const login = await context.request.post(`${base}/api/login`, { form: { email, password }, maxRedirects: 0 });
  if (login.status() >= 400) throw new Error(`login failed: ${login.status()} ${await login.text()}`);
  const page = await context.newPage();
  for (let i = 0; i < runs + 1; i++) {
    await page.goto(`${base}/console`, { waitUntil: 'load' });
    await page.locator(`a[href="/console?chat=${chat}"]`).waitFor({ timeout: 30000 });
    // Let the socket's first frames settle (directory, chat list) before measuring.
    await page.waitForTimeout(500);
    const opened = await page.evaluate(OPEN, { chat, last });
    const r = opened.timeout ? opened : { ...opened, ...(await page.evaluate(ALL, { count })) };
    if (i === 0) {
      console.log(`warm-up: rendered ${r1(r.rendered_ms)} ms (not counted)`);
      continue;
    }
    results.push(r);
    if (r.timeout) console.log(`run ${i}: timed out with ${r.shown} messages shown`);
    else
      console.log(
        `run ${i}: events frame (${r.frame_bytes} bytes) after ${r1(r.frame_ms)} ms, newest message in the DOM after ${r1(r.rendered_ms)} ms, next frame at ${r1(r.frame_start_ms)} ms, painted after ${r1(r.painted_ms)} ms (long tasks [start, ms]: ${JSON.stringify(r.long_tasks)}); all ${count} messages after ${r.clicks} × "Show earlier messages" in ${r1(r.all_ms)} ms more`,
      );
  }
  await context.close();
} finally {
  await browser.close();
}
const summary = {
  chromium: browser.version(),
  messages: count,
  runs: results.length,
  frame_ms_median: r1(median(results.map((r) => r.frame_ms))),
  rendered_ms_median: r1(median(results.map((r) => r.rendered_ms))),
  painted_ms_median: r1(median(results.map((r) => r.painted_ms))),
  rendered_ms_max: r1(Math.max(...results.map((r) => r.rendered_ms ?? Infinity))),
  all_ms_median: r1(median(results.map((r) => r.all_ms))),
  clicks: results[0]?.clicks ?? null,
  frame_bytes: results[0]?.frame_bytes ?? null,
  timeouts: results.filter((r) => r.timeout).length,
};
console.log(
  `median: events frame after ${summary.frame_ms_median} ms, rendered after ${summary.rendered_ms_median} ms, painted after ${summary.painted_ms_median} ms; the rest by "Show earlier messages" in ${summary.all_ms_median} ms`,
);
console.log(JSON.stringify(summary));
