import { describe, expect, it } from 'vitest';
import { InvitationGuard, MemoryRecentInvitationStore, UserBudget } from '../../src/invitations/guard.js';
import type { InvitationResult } from '../../src/invitations/outcome.js';
import type { InvitationRequest } from '../../src/invitations/request.js';

const MINUTE = 60_000;

describe('UserBudget', () => {
  it('allows up to the limit in a sliding window and says when room opens again', () => {
    const budget = new UserBudget(5, 10 * MINUTE);
    expect(budget.tryTake('U1', 3, 0)).toEqual({ ok: true });
    expect(budget.tryTake('U1', 2, 2 * MINUTE)).toEqual({ ok: true });
    expect(budget.tryTake('U1', 1, 3 * MINUTE)).toEqual({ ok: false, limit: 5, windowMs: 10 * MINUTE, remaining: 0, availableAt: 10 * MINUTE });
    expect(budget.tryTake('U2', 5, 3 * MINUTE)).toEqual({ ok: true });
    expect(budget.tryTake('U1', 3, 10 * MINUTE)).toEqual({ ok: true });
  });

  it('never promises a time for more than the limit, and refunds what was not sent', () => {
    const budget = new UserBudget(5, 10 * MINUTE);
    expect(budget.tryTake('U1', 6, 0)).toEqual({ ok: false, limit: 5, windowMs: 10 * MINUTE, remaining: 5 });
    expect(budget.tryTake('U1', 5, 0)).toEqual({ ok: true });
    budget.refund('U1', 2, 0);
    expect(budget.tryTake('U1', 2, 1)).toEqual({ ok: true });
    expect(budget.tryTake('U1', 1, 2)).toMatchObject({ ok: false, remaining: 0 });
  });
});

describe('MemoryRecentInvitationStore', () => {
  it('answers earlier claims within the window and forgets older ones', async () => {
    const store = new MemoryRecentInvitationStore();
    expect(await store.claim(['k1'], { userId: 'U1', at: 0 }, 10 * MINUTE, false)).toEqual(new Map());
    expect(await store.claim(['k1', 'k2'], { userId: 'U2', at: MINUTE }, 10 * MINUTE, false)).toEqual(new Map([['k1', { userId: 'U1', at: 0 }]]));
    expect(await store.claim(['k1'], { userId: 'U3', at: 11 * MINUTE }, 10 * MINUTE, false)).toEqual(new Map());
    expect(store.size).toBe(1);
  });

  it('releases only its own claim', async () => {
    const store = new MemoryRecentInvitationStore();
    await store.claim(['k'], { userId: 'U1', at: 0 }, MINUTE, false);
    await store.release(['k'], { userId: 'U2', at: 0 });
    expect((await store.claim(['k'], { userId: 'U2', at: 1 }, MINUTE, false)).get('k')).toEqual({ userId: 'U1', at: 0 });
  });
});

describe('InvitationGuard', () => {
  const request = (emails: string[], userId = 'U1'): InvitationRequest => ({
    service: 'huddle',
    workspaceId: '89178',
    invitees: emails.map((email) => ({ email })),
    requestedBy: { userId },
  });

  function setup(failFor: string[] = []) {
    const sent: string[][] = [];
    let now = 1_000_000;
    const guard = new InvitationGuard({
      invitations: {
        send: async (r): Promise<InvitationResult> => {
          sent.push(r.invitees.map((i) => i.email));
          return {
            request: r,
            durationMs: 5,
            outcomes: r.invitees.map((invitee) =>
              failFor.includes(invitee.email) ? { status: 'failed', invitee, error: { kind: 'invalid_request', httpStatus: 400 } } : { status: 'invited', invitee },
            ),
          };
        },
      },
      store: new MemoryRecentInvitationStore(),
      budget: new UserBudget(4, 10 * MINUTE),
      duplicateWindowMs: 10 * MINUTE,
      now: () => now,
    });
    return { guard, sent, advance: (ms: number) => (now += ms) };
  }

  it('skips an address invited to the same workspace minutes ago, by anyone, keeping the order', async () => {
    const { guard, sent, advance } = setup();
    await guard.send(request(['a@x.com']), { again: false });
    advance(MINUTE);
    const second = await guard.send(request(['b@x.com', 'A@x.com'], 'U2'), { again: false });
    expect(sent).toEqual([['a@x.com'], ['b@x.com']]);
    expect(second).toMatchObject({
      kind: 'sent',
      result: { outcomes: [{ status: 'invited', invitee: { email: 'b@x.com' } }, { status: 'skipped', invitee: { email: 'A@x.com' }, previous: { userId: 'U1', at: 1_000_000 } }] },
    });
  });

  it('sends again when asked to', async () => {
    const { guard, sent } = setup();
    await guard.send(request(['a@x.com']), { again: false });
    await guard.send(request(['a@x.com']), { again: true });
    expect(sent).toEqual([['a@x.com'], ['a@x.com']]);
  });

  it('does not hold a failed invitation against the next try, nor against the budget', async () => {
    const { guard, sent } = setup(['bad@x.com']);
    await guard.send(request(['bad@x.com', 'ok@x.com']), { again: false });
    const retry = await guard.send(request(['bad@x.com', 'c@x.com', 'd@x.com']), { again: false });
    expect(sent).toEqual([['bad@x.com', 'ok@x.com'], ['bad@x.com', 'c@x.com', 'd@x.com']]);
    expect(retry.kind).toBe('sent');
  });

  it('refuses a request over the budget and sends nothing, leaving no claims behind', async () => {
    const { guard, sent } = setup();
    await guard.send(request(['a@x.com', 'b@x.com', 'c@x.com']), { again: false });
    const over = await guard.send(request(['d@x.com', 'e@x.com']), { again: false });
    expect(over).toEqual({ kind: 'over_budget', budget: { ok: false, limit: 4, windowMs: 10 * MINUTE, remaining: 1, availableAt: 1_000_000 + 10 * MINUTE } });
    expect(sent).toHaveLength(1);
    const later = await guard.send(request(['d@x.com']), { again: false });
    expect(later.kind === 'sent' && later.result.outcomes[0]?.status).toBe('invited');
  });
});
