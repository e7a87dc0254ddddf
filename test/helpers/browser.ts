import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`), or CHROMIUM_PATH. `.ci/run` installs it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

/**
 * Headless, and quiet on a closed network: without the background-networking flags Chromium keeps
 * calling Google's hosts. Playwright gives every launch a fresh, empty --user-data-dir.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /**
   * Script errors, unhandled rejections and CSP refusals seen so far: a clean page has none. (Failed
   * requests are not counted: a refused token or a blocked stream is logged by Chromium on purpose.)
   */
  problems: string[];
}

export async function openConsole(
  browser: Browser,
  baseUrl: string,
  viewport = { width: 1280, height: 900 },
): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && /Uncaught|Content Security Policy|Refused to/.test(text)) {
      problems.push(`console: ${text}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page: ${error.message}`));
  await page.goto(baseUrl + '/');
  return { page, context, problems };
}

export async function signIn(page: Page, token: string, operator = ''): Promise<void> {
  await page.fill('#token', token);
  await page.fill('#operator', operator);
  await page.getByRole('button', { name: 'Open the console' }).click();
  await page.locator('#console').waitFor({ state: 'visible' });
}

/** Writes a screenshot to $CONSOLE_SCREENSHOTS (how docs/images/ is made); nothing otherwise. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.CONSOLE_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.locator('#flash').waitFor({ state: 'hidden', timeout: 10000 });
  await page.screenshot({ path: join(dir, name), fullPage: true });
}
