/**
 * The link flow's pages in a real browser: Debian's Chromium (`.ci/run` installs it) driven by
 * playwright-core, through the start route, the service's sign-in page (the OAuth fake) and back to the
 * bot's own page, checking what a person sees. Screenshots are kept in test-results/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { buttonUrl } from '../fakes/test-browser.js';
import { useHarness, type Harness } from '../slack/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '..', '..', 'test-results');
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
if (!available) console.warn(`${CHROMIUM} is missing: the browser test of the link pages is skipped (apt-get install -y chromium to run it).`);

const start = useHarness();
let context: BrowserContext | undefined;
let profile: string | undefined;
afterEach(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  context = undefined;
  profile = undefined;
});

/** A fresh browser profile each time: no cookie or cache from another test. */
async function browse(): Promise<{ page: Page; problems: string[] }> {
  profile = mkdtempSync(join(tmpdir(), 'invite-bot-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // A style the page's policy refused, or any script error, would show here. (A failure page's own
  // status, and the favicon nobody serves, are logged as failed loads: those are expected.)
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems };
}

async function connectLink(h: Harness): Promise<string> {
  const ack = await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
  const url = buttonUrl(ack.json);
  if (!url) throw new Error('no connect button');
  return url;
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

describe.runIf(available)('the link pages in Chromium', () => {
  it('takes a person from the Connect button through the sign-in to the bot’s own page, which says who they are connected as', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const { page, problems } = await browse();
    await page.goto(await connectLink(h));
    expect(await page.title()).toBe('Authorize application');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.pathname === '/oauth/kantata/callback');

    expect(await page.title()).toBe('Connected to Kantata OX');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('Connected to Kantata OX');
    expect(await page.getByRole('main').innerText()).toContain('Connected as Ann Lee in Kantata OX.\n\nYour invitation is on its way; you can close this tab.');
    // The one style block is allowed by its hash: dark text on white, the column narrow.
    const style = await page.evaluate(
      // A string, run in the page: the test's own TypeScript has no DOM.
      '({ color: getComputedStyle(document.body).color, background: getComputedStyle(document.body).backgroundColor, width: getComputedStyle(document.querySelector("main")).maxWidth })',
    );
    expect(style).toEqual({ color: 'rgb(29, 28, 29)', background: 'rgb(255, 255, 255)', width: '576px' });
    expect(problems).toEqual([]);
    await screenshot(page, 'link-connected.png');

    await h.settle();
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['bob@acme.com']);
  });

  it('shows a clear page when the person does not allow access, and another when the link is opened again', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const { page, problems } = await browse();
    const url = await connectLink(h);
    await page.goto(url);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((target) => target.pathname === '/oauth/kantata/callback');
    expect(await page.title()).toBe('Kantata OX was not connected');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('Access was not allowed');
    expect(await page.getByRole('main').innerText()).toContain('To try again, use the Connect button in Slack.');
    await screenshot(page, 'link-denied.png');

    const again = await page.goto(url);
    expect(again?.status()).toBe(410);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('This link was already used');
    expect(problems).toEqual([]);
    await h.settle();
    expect(h.kantata?.invitations).toEqual([]);
  });
});
