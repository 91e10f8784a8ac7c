import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { NODE_PORTS, nodeURL } from './nodes';

// The repository root (this file lives in end2end/).
const repoRoot = path.resolve(__dirname, '..');

// A fixed port for the test server, so it never collides with `scripts/start.sh` (3000).
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;

// Debian's Chromium from PATH; Playwright never downloads a browser here.
function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not on PATH: run scripts/install.sh (it installs the Debian package)');
  }
}

function server(env: Record<string, string>, url: string) {
  return {
    command: 'bash end2end/serve-fresh.sh',
    cwd: repoRoot,
    env,
    url: `${url}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    // SIGTERM lets serve-fresh.sh stop the server and delete its data directory.
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 5_000 },
  };
}

export default defineConfig({
  testDir: './tests',
  // All tests share one server and its data: run them one at a time, in file order.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  timeout: 60_000,
  use: {
    baseURL,
    browserName: 'chromium',
    headless: true,
    trace: 'off',
    // Actions otherwise wait for the whole test timeout; fail sooner and say where.
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    launchOptions: {
      executablePath: chromiumPath(),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    // Fresh temporary data directory, seeded staff, then the release server binary.
    server({ E2E_PORT: String(port) }, baseURL),
    // Two nodes on one fresh PostgreSQL database (nodes.spec.ts), when there is one to use.
    ...(process.env.TEST_DATABASE_URL
      ? [server({ E2E_NODES: NODE_PORTS.join(' '), TEST_DATABASE_URL: process.env.TEST_DATABASE_URL }, nodeURL(0))]
      : []),
  ],
});
