import { describe, expect, it } from 'vitest';
import type { ServiceName } from '../../src/invitations/request.js';
import { closestWorkspaces, similarity, WorkspaceDirectory, type Workspace, type WorkspaceSource } from '../../src/invitations/workspaces.js';

const kantata = (id: string, title: string): Workspace => ({ service: 'kantata', id, title });
const huddle = (id: string, title: string): Workspace => ({ service: 'huddle', id, title });

/** A source over a fixed list that counts its calls and can be made slow or broken. */
function listSource(workspaces: readonly Workspace[]) {
  const state = { calls: 0, delayMs: 0, failWith: undefined as Error | undefined };
  const source: WorkspaceSource = {
    async search(query) {
      state.calls += 1;
      if (state.delayMs) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      if (state.failWith) throw state.failWith;
      const words = query.toLowerCase().split(' ').filter(Boolean);
      return workspaces.filter((workspace) => words.every((word) => workspace.title.toLowerCase().includes(word)));
    },
    async find(id) {
      state.calls += 1;
      if (state.failWith) throw state.failWith;
      return workspaces.find((workspace) => workspace.id === id);
    },
  };
  return { source, state };
}

function directory(sources: Partial<Record<ServiceName, WorkspaceSource>>, options: { timeoutMs?: number; now?: () => number; failures?: unknown[] } = {}) {
  return new WorkspaceDirectory({
    sources,
    timeoutMs: options.timeoutMs ?? 1_000,
    cacheTtlMs: 60_000,
    ...(options.now ? { now: options.now } : {}),
    onLookupFailed: (_service, error) => options.failures?.push(error),
  });
}

const KANTATA_PROJECTS = [kantata('12345', 'Acme Rollout'), kantata('12346', 'Acme Rollout Phase 2'), kantata('20001', 'Globex Website')];

describe('WorkspaceDirectory.search', () => {
  it('reuses a result for the same person and text until it expires, and asks again for someone else', async () => {
    let now = 1_000;
    const { source, state } = listSource(KANTATA_PROJECTS);
    const workspaces = directory({ kantata: source }, { now: () => now });
    expect(await workspaces.search('U1', 'kantata', 'acme')).toEqual({ kind: 'found', workspaces: KANTATA_PROJECTS.slice(0, 2) });
    await workspaces.search('U1', 'kantata', '  ACME ');
    await workspaces.search('U1', 'kantata', 'acme');
    expect(state.calls).toBe(1);
    await workspaces.search('U1', 'kantata', 'acme rollout');
    expect(state.calls).toBe(2);
    await workspaces.search('U2', 'kantata', 'acme');
    expect(state.calls).toBe(3);
    now += 60_001;
    await workspaces.search('U1', 'kantata', 'acme');
    expect(state.calls).toBe(4);
  });

  it('shares one upstream call between identical searches in flight', async () => {
    const { source, state } = listSource(KANTATA_PROJECTS);
    state.delayMs = 30;
    const workspaces = directory({ kantata: source });
    const answers = await Promise.all([1, 2, 3].map(() => workspaces.search('U1', 'kantata', 'globex')));
    expect(answers.map((answer) => answer.kind)).toEqual(['found', 'found', 'found']);
    expect(state.calls).toBe(1);
  });

  it('answers "timeout" when the service is slower than the time box, and the late result serves the next keystroke', async () => {
    const { source, state } = listSource(KANTATA_PROJECTS);
    state.delayMs = 150;
    const workspaces = directory({ kantata: source }, { timeoutMs: 40 });
    const started = Date.now();
    expect(await workspaces.search('U1', 'kantata', 'acme')).toEqual({ kind: 'unavailable', service: 'kantata', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(140);
    await new Promise((resolve) => setTimeout(resolve, 160));
    expect(await workspaces.search('U1', 'kantata', 'acme')).toMatchObject({ kind: 'found', workspaces: KANTATA_PROJECTS.slice(0, 2) });
    expect(state.calls).toBe(1);
  });

  it('does not remember a failure: the next search asks again', async () => {
    const failures: unknown[] = [];
    const { source, state } = listSource(KANTATA_PROJECTS);
    state.failWith = new Error('boom');
    state.delayMs = 20;
    const workspaces = directory({ kantata: source }, { failures });
    // Two searches share the failing call; it is reported once.
    const answers = await Promise.all([workspaces.search('U1', 'kantata', 'acme'), workspaces.search('U1', 'kantata', 'acme')]);
    expect(answers).toMatchObject([{ kind: 'unavailable', reason: 'failed' }, { kind: 'unavailable', reason: 'failed' }]);
    state.delayMs = 0;
    state.failWith = undefined;
    expect(await workspaces.search('U1', 'kantata', 'acme')).toMatchObject({ kind: 'found' });
    expect(state.calls).toBe(2);
    expect(failures).toHaveLength(1);
  });

  it('remembers titles from searches, so naming a workspace afterwards costs no call', async () => {
    const { source, state } = listSource(KANTATA_PROJECTS);
    const workspaces = directory({ kantata: source });
    await workspaces.search('U1', 'kantata', 'globex');
    expect(await workspaces.title('kantata', '20001')).toBe('Globex Website');
    expect(state.calls).toBe(1);
    expect(await workspaces.title('kantata', '12345')).toBe('Acme Rollout');
    expect(state.calls).toBe(2);
    expect(await workspaces.title('kantata', '999')).toBeUndefined();
    expect(await workspaces.title('huddle', '1')).toBeUndefined();
  });
});

describe('WorkspaceDirectory.resolveName', () => {
  const both = () => {
    const k = listSource(KANTATA_PROJECTS);
    const h = listSource([huddle('89178', 'Acme Board Pack'), huddle('89179', 'Globex Due Diligence')]);
    return { k, h, workspaces: directory({ kantata: k.source, huddle: h.source }) };
  };

  it('takes an exact title even when the search found longer ones too', async () => {
    const { workspaces } = both();
    expect(await workspaces.resolveName('U1', ['kantata', 'huddle'], 'acme  rollout')).toEqual({ kind: 'one', workspace: KANTATA_PROJECTS[0] });
  });

  it('takes a single match, and offers several as candidates', async () => {
    const { workspaces } = both();
    expect(await workspaces.resolveName('U1', ['kantata', 'huddle'], 'Board')).toEqual({ kind: 'one', workspace: huddle('89178', 'Acme Board Pack') });
    expect(await workspaces.resolveName('U1', ['kantata', 'huddle'], 'Acme')).toEqual({
      kind: 'several',
      candidates: [...KANTATA_PROJECTS.slice(0, 2), huddle('89178', 'Acme Board Pack')],
    });
    expect(await workspaces.resolveName('U1', ['huddle'], 'Acme')).toMatchObject({ kind: 'one' });
  });

  it('answers none with the closest titles it knows', async () => {
    const { workspaces } = both();
    const answer = await workspaces.resolveName('U1', ['kantata', 'huddle'], 'Acme Rolout');
    expect(answer).toEqual({ kind: 'none', closest: [KANTATA_PROJECTS[0], KANTATA_PROJECTS[1], huddle('89178', 'Acme Board Pack')] });
    expect(await workspaces.resolveName('U1', ['kantata'], 'zzzz qqqq')).toEqual({ kind: 'none', closest: [] });
  });

  it('does not settle for a partial match while another service is silent', async () => {
    const { h, workspaces } = both();
    h.state.failWith = new Error('down');
    expect(await workspaces.resolveName('U1', ['kantata', 'huddle'], 'Globex')).toMatchObject({ kind: 'unavailable', service: 'huddle', reason: 'failed' });
    // An exact title is unambiguous whatever the other service would say.
    expect(await workspaces.resolveName('U1', ['kantata', 'huddle'], 'Globex Website')).toMatchObject({ kind: 'one', workspace: { id: '20001' } });
  });
});

describe('similarity', () => {
  it('scores typos close and unrelated titles far', () => {
    expect(similarity('Acme Rollout', 'Acme Rollout')).toBe(1);
    expect(similarity('Acme Rolout', 'Acme Rollout')).toBeGreaterThan(0.8);
    expect(similarity('Acme Rollout', 'Globex Website')).toBeLessThan(0.2);
    expect(closestWorkspaces('globx', [kantata('1', 'Acme'), kantata('2', 'Globex Website')], 3).map((w) => w.id)).toEqual(['2']);
  });
});
