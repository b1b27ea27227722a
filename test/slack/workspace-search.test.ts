import { describe, expect, it } from 'vitest';
import { optionsAnswerProblems } from '../fakes/block-kit.js';
import { kantataError } from '../fakes/fake-kantata.js';
import { KANTATA_TOKEN, useHarness, workspaceSuggestion, type Harness } from './harness.js';

const start = useHarness();

type Option = { text: { text: string }; value: string };
type Answer = { options?: Option[]; option_groups?: { label: { text: string }; options: Option[] }[] };

async function suggest(h: Harness, value: string, options: Parameters<typeof workspaceSuggestion>[1] = {}) {
  const started = Date.now();
  const response = await h.interaction(workspaceSuggestion(value, options));
  const answer = (response.json ?? {}) as Answer;
  expect(optionsAnswerProblems(answer as Record<string, unknown>)).toEqual([]);
  return { status: response.status, answer, elapsedMs: Date.now() - started };
}

const texts = (answer: Answer) => answer.options?.map((option) => option.text.text);

describe('the form’s workspace menu', () => {
  it('searches Kantata as the person types, offering only projects the bot may invite to', async () => {
    const h = await start({ huddle: false });
    const { status, answer } = await suggest(h, 'acme');
    expect(status).toBe(200);
    // "Locked Project" (can_invite false) and "Acme Archive" (archived) are never offered.
    expect(answer.options).toEqual([
      { text: { type: 'plain_text', text: 'Acme Rollout (12345)', emoji: true }, value: 'kantata:12345' },
      { text: { type: 'plain_text', text: 'Acme Rollout Phase 2 (12346)', emoji: true }, value: 'kantata:12346' },
    ]);
    expect(new URL(h.kantata?.lookupRequests[0]?.path ?? '', 'http://x').searchParams.get('search')).toBe('acme');
    expect(texts((await suggest(h, '')).answer)).toEqual(['Acme Rollout (12345)', 'Acme Rollout Phase 2 (12346)']);
  });

  it('searches every service, grouped, unless the form narrows it to one', async () => {
    const h = await start();
    const { answer } = await suggest(h, 'acme');
    expect(answer.option_groups?.map((group) => [group.label.text, group.options.map((option) => option.value)])).toEqual([
      ['Kantata OX', ['kantata:12345', 'kantata:12346']],
      ['Huddle', ['huddle:89178']],
    ]);
    const kantataLookups = h.kantata?.lookupRequests.length;
    const narrowed = await suggest(h, 'board', { service: 'huddle' });
    expect(narrowed.answer.options?.map((option) => option.value)).toEqual(['huddle:89178']);
    expect(h.kantata?.lookupRequests.length).toBe(kantataLookups);
  });

  it('answers within Slack’s 3 seconds when Kantata is slow, and the late answer serves the next request', async () => {
    const h = await start({ huddle: false, env: { WORKSPACE_SEARCH_TIMEOUT_MS: '300' } });
    if (h.kantata) h.kantata.lookupDelayMs = 800;
    const slow = await suggest(h, 'rollout');
    expect(slow.elapsedMs).toBeLessThan(800);
    expect(texts(slow.answer)).toEqual(['⚠ Kantata OX is slow to answer: type the workspace id']);
    await h.waitFor(() => h.kantata?.lookupRequests[0]?.status === 200, 3_000);
    const later = await suggest(h, 'rollout');
    expect(texts(later.answer)).toEqual(['Acme Rollout (12345)', 'Acme Rollout Phase 2 (12346)']);
    expect(h.kantata?.lookupRequests).toHaveLength(1);
  });

  it('asks Kantata once for the same person and text, and again for someone else', async () => {
    const h = await start({ huddle: false });
    h.slack.addUser({ id: 'U2', email: 'bo@inviter.example', realName: 'Bo' });
    await suggest(h, 'acme');
    await suggest(h, 'ACME');
    expect(h.kantata?.lookupRequests).toHaveLength(1);
    await suggest(h, 'acme', { userId: 'U2' });
    expect(h.kantata?.lookupRequests).toHaveLength(2);
  });

  it('offers a typed id, and says so when the search failed instead of pretending nothing matched', async () => {
    const h = await start({ huddle: false });
    h.kantata?.server.respondNext(kantataError(401, 'oauth', 'Invalid OAuth 2 Request'));
    const { answer } = await suggest(h, '4242');
    expect(answer.options?.map((option) => [option.text.text, option.value])).toEqual([
      ['Workspace 4242 (by id)', 'kantata:4242'],
      ['⚠ Kantata OX search failed: type the workspace id', 'unavailable:kantata'],
    ]);
    expect(h.log.entries().some((entry) => entry.event === 'workspace_lookup_failed' && entry.kind === 'authentication')).toBe(true);
    expect(h.log.lines.join('\n')).not.toContain(KANTATA_TOKEN);
  });

  it('answers the same search sent twice in the same second, as Slack does when the text is retyped', async () => {
    const h = await start({ huddle: false });
    const body = new URLSearchParams({ payload: JSON.stringify(workspaceSuggestion('acme')) }).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await h.post(body, {}, timestamp);
    const again = await h.post(body, {}, timestamp);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.json).toEqual(first.json);
    expect((again.json as Answer).options?.map((option) => option.value)).toEqual(['kantata:12345', 'kantata:12346']);
  });

  it('shows people who may not invite one entry saying why, and no workspace', async () => {
    const h = await start({ huddle: false });
    h.slack.addUser({ id: 'U9', guest: 'multi' });
    const { answer } = await suggest(h, 'acme', { userId: 'U9' });
    expect(answer).toEqual({ options: [{ text: { type: 'plain_text', text: '⛔ Guests cannot invite people to workspaces', emoji: true }, value: 'refused' }] });
  });

  it('keeps to Slack’s 100 options when a search matches more', async () => {
    const workspaces = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [String(5000 + i), { title: `Client ${i} ${'x'.repeat(80)}`, canInvite: true }]));
    const h = await start({ huddle: false, kantata: { workspaces } });
    const { answer } = await suggest(h, 'client');
    expect(answer.options).toHaveLength(100);
    expect(answer.options?.every((option) => /… \(\d+\)$/.test(option.text.text))).toBe(true);
  });
});
