import type { Ledger } from './ledger.js';

/**
 * Stores held by one thread (the background thread, in production) and used from another (the main
 * thread): every call goes as a message to the holder, and the answer comes back. So no database work (a
 * SQLite write and its fsync, a PostgreSQL round trip) ever runs on the thread that acks Slack.
 */

/** A call to a store held by another thread. */
export interface StoreCall {
  readonly id: number;
  /** Which store (`ledger`, …): each is served under its own name. */
  readonly store: string;
  readonly method: string;
  readonly args: readonly unknown[];
}

/** Its answer: the value, or the error as plain data (errors do not cross threads with their class). */
export type StoreAnswer =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

/** An error from the other thread, with the code (SQLITE_BUSY, data_dir_in_use…) it had there. */
export class RemoteStoreError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RemoteStoreError';
  }
}

/** The ledger's methods that may be called from another thread. */
export const LEDGER_METHODS = [
  'record',
  'claimInvitees',
  'settleInvitees',
  'requeueInvitees',
  'renewLeases',
  'failOrphans',
  'sendingOwners',
  'claimDeliveries',
  'recordDelivery',
  'markPosting',
  'findRequest',
  'unfinished',
  'depth',
  'purge',
  'decide',
  'expireApprovals',
  'recordApprovalMessages',
  'approvalMessages',
  'retry',
  'dueFollowUps',
  'recordFollowUp',
  'holdForLink',
  'resumeAfterLink',
  'expireAwaitingLink',
  'recent',
] as const satisfies readonly (keyof Ledger)[];

/** The calling side: one sender of calls, and the answers routed back to whoever waits for them. */
export class StoreCalls {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(private readonly send: (call: StoreCall) => void) {}

  /** A proxy for `store` on the other thread: each listed method becomes a call there; the rest are kept. */
  proxy<T extends object>(store: string, methods: readonly (keyof T & string)[], rest: Partial<T>): T {
    const calls = Object.fromEntries(methods.map((method) => [method, (...args: unknown[]) => this.call(store, method, args)]));
    return { ...rest, ...calls } as T;
  }

  answer(reply: StoreAnswer): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(new RemoteStoreError(reply.message, reply.code));
  }

  private call(store: string, method: string, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.nextId += 1;
      this.waiting.set(this.nextId, { resolve, reject });
      this.send({ id: this.nextId, store, method, args });
    });
  }
}

/** A store this thread serves to others, with the methods they may call. */
export interface ServedStore {
  readonly target: object;
  readonly methods: readonly string[];
}

/** The holding side: runs a call on the named store, and says how it went. */
export async function serveStoreCall(stores: Readonly<Record<string, ServedStore>>, call: StoreCall): Promise<StoreAnswer> {
  const served = stores[call.store];
  if (!served || !served.methods.includes(call.method)) return { id: call.id, ok: false, message: `not callable from another thread: ${call.store}.${call.method}` };
  try {
    const method = (served.target as Record<string, (...args: unknown[]) => Promise<unknown>>)[call.method] as (...args: unknown[]) => Promise<unknown>;
    return { id: call.id, ok: true, value: await method.apply(served.target, [...call.args]) };
  } catch (error) {
    const code = (error as { code?: unknown } | undefined)?.code;
    return { id: call.id, ok: false, message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) };
  }
}
