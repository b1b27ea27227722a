import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { pageText } from '../messages.js';

/** One of the bot's own pages around a service's sign-in: a heading and a few sentences, nothing else. */
export interface Page {
  readonly status: number;
  readonly title: string;
  readonly heading: string;
  readonly lines: readonly string[];
  /** Success and failure are told apart by more than colour: by the heading's words, and this mark. */
  readonly tone: 'ok' | 'problem';
}

/**
 * The only styles: an inline block allowed by its hash (no `unsafe-inline`, no scripts at all). Dark text
 * on white (#1d1c1d on #ffffff: 16.8:1), text that grows with the reader's settings, a visible focus.
 */
const STYLE = [
  'body{margin:0;background:#ffffff;color:#1d1c1d;font:1.125rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'main{max-width:36rem;margin:4rem auto;padding:0 1.25rem}',
  'h1{font-size:1.75rem;line-height:1.25;margin:0 0 1rem}',
  'p{margin:0 0 1rem}',
  '.mark{display:inline-block;margin-right:.5rem}',
  'footer{max-width:36rem;margin:2rem auto;padding:0 1.25rem;color:#454245;font-size:1rem}',
].join('');

const STYLE_HASH = createHash('sha256').update(STYLE, 'utf8').digest('base64');

/** Nothing may load, run, frame the page, or be posted from it; the one style block is allowed by its hash. */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The page as static HTML: every piece of text escaped, language and title set, one heading, one main landmark. */
export function renderPage(page: Page): string {
  const mark = page.tone === 'ok' ? '✓' : '⚠';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1><span class="mark" aria-hidden="true">${mark}</span>${escapeHtml(page.heading)}</h1>`,
    ...page.lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    '</main>',
    `<footer><p>${escapeHtml(pageText.footer())}</p></footer>`,
    '</body>',
    '</html>',
  ].join('\n');
}

export function sendPage(res: ServerResponse, page: Page, extraHeaders: Readonly<Record<string, string | string[]>> = {}): void {
  const body = renderPage(page);
  res.writeHead(page.status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), ...PAGE_SECURITY_HEADERS, ...extraHeaders });
  res.end(body);
}
