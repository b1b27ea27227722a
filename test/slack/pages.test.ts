import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { failurePage, type LinkFailure } from '../../src/slack/link-routes.js';
import { PAGE_SECURITY_HEADERS, renderPage } from '../../src/slack/pages.js';

const FAILURES: readonly LinkFailure[] = ['unknown_link', 'expired_link', 'used_link', 'wrong_state', 'sign_in_expired', 'denied', 'service_error', 'misconfigured'];

describe('the link pages', () => {
  it('are static and accessible: a language, a title, one heading in a main landmark, and no script', () => {
    for (const failure of FAILURES) {
      const html = renderPage(failurePage(failure, 'kantata', 'HTTP 500'));
      expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">'), failure).toBe(true);
      expect(html).toMatch(/<title>[^<]+<\/title>/);
      expect(html.match(/<h1>/g)).toHaveLength(1);
      expect(html).toMatch(/<main>[\s\S]*<h1>[\s\S]*<\/main>/);
      expect(html).not.toMatch(/<script|\son\w+=|javascript:/i);
    }
  });

  it('escape everything they show, names from the services included', () => {
    const html = renderPage({ status: 200, tone: 'ok', title: 'Connected', heading: 'Connected', lines: ['Connected as <img src=x onerror=alert(1)> & "Co".'] });
    expect(html).toContain('Connected as &lt;img src=x onerror=alert(1)&gt; &amp; &quot;Co&quot;.');
    expect(html).not.toContain('<img');
  });

  it('forbid everything but their one style block, by its hash, and are never cached or referred from', () => {
    const style = /<style>([^<]*)<\/style>/.exec(renderPage(failurePage('denied', 'huddle')))?.[1] ?? '';
    const hash = createHash('sha256').update(style, 'utf8').digest('base64');
    expect(PAGE_SECURITY_HEADERS['content-security-policy']).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    expect(PAGE_SECURITY_HEADERS).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' });
  });

  it('answer each failure with its own status and words', () => {
    expect(FAILURES.map((failure) => [failure, failurePage(failure, 'huddle', 'it answered HTTP 503').status, failurePage(failure, 'huddle', 'it answered HTTP 503').heading])).toEqual([
      ['unknown_link', 404, 'This link is not valid'],
      ['expired_link', 410, 'This link has expired'],
      ['used_link', 410, 'This link was already used'],
      ['wrong_state', 400, 'This sign-in could not be matched'],
      ['sign_in_expired', 410, 'The sign-in took too long'],
      ['denied', 403, 'Access was not allowed'],
      ['service_error', 502, 'Huddle could not be connected'],
      ['misconfigured', 502, 'Huddle could not be connected'],
    ]);
  });
});
