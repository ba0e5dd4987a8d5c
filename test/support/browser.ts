// Headless Chromium from Debian, driven by playwright-core. Never downloads a browser: a missing one is an error
// that says how to install it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps calling Google's hosts, which a closed network refuses.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface TestBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * How long a browser step may wait. A checkout crosses the shop, the API, DynamoDB Local and the sandbox: under
 * under-load with other jobs (load average 44 on 2 cores) one took over 60 s. Waiting longer costs nothing when all is
 * well; a page that never shows what is awaited still fails.
 */
const BROWSER_WAIT_MS = 180_000;

/** A fresh Chromium with its own empty user-data dir, removed again by close(). */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'alipay-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: BROWSER_WAIT_MS,
  });
  // Generous: a busy machine may stall for seconds; a page that never shows what is awaited still fails.
  context.setDefaultTimeout(BROWSER_WAIT_MS);
  return {
    context,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
