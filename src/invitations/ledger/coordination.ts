import pg from 'pg';
import type { StorageLocation } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { SenderCoordination } from '../sender.js';
import type { ServiceName } from '../request.js';
import { WORK_CHANNEL } from './open.js';

/** How the processes sharing a ledger agree on who sends, who is alive, and when there is new work. */
export interface Coordination extends SenderCoordination {
  /** Calls `listener` when another process recorded work. */
  onWork(listener: () => void): void;
  close(): Promise<void>;
}

/**
 * One process per SQLite file (the data directory's lock makes sure): it always sends, and any other lease
 * owner is a process that has died.
 */
export function singleProcessCoordination(): Coordination {
  return {
    holdsSender: async () => true,
    deadOwners: async (owners) => [...owners],
    onWork: () => undefined,
    close: async () => undefined,
  };
}

const RECONNECT_MAX_MS = 30_000;

/**
 * Replicas on PostgreSQL. Each process holds a session advisory lock named after itself on a connection
 * of its own: when the process dies, PostgreSQL drops the lock, and others can tell at once that its
 * `sending` leases are orphans. A second lock per service lets one replica at a time send for a service
 * (the rate limit belongs to the token, not to a process), handed over when its holder dies. LISTEN on
 * the same connection hears other replicas' new work.
 */
export class PostgresCoordination implements Coordination {
  private client: pg.Client | undefined;
  private readonly held = new Set<ServiceName>();
  private readonly listeners: (() => void)[] = [];
  private closed = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly url: string,
    private readonly owner: string,
    /** Advisory locks are database-wide: the schema keeps two ledgers in one database apart. */
    private readonly namespace: string,
    private readonly logger: Logger,
  ) {}

  static async connect(url: string, owner: string, namespace: string, logger: Logger): Promise<PostgresCoordination> {
    const coordination = new PostgresCoordination(url, owner, namespace, logger);
    await coordination.open();
    return coordination;
  }

  onWork(listener: () => void): void {
    this.listeners.push(listener);
  }

  async holdsSender(service: ServiceName): Promise<boolean> {
    if (this.held.has(service)) return true;
    const client = this.client;
    if (!client) return false;
    try {
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [this.key(`sender:${service}`)]);
      if (rows[0]?.ok) {
        this.held.add(service);
        this.logger.info({ event: 'sender_lock_taken', service }, 'this replica now sends for the service');
      }
      return rows[0]?.ok === true;
    } catch {
      return false;
    }
  }

  async deadOwners(owners: readonly string[]): Promise<string[]> {
    const client = this.client;
    if (!client) return [];
    const dead: string[] = [];
    for (const owner of owners) {
      const key = this.key(`instance:${owner}`);
      const { rows } = await client.query<{ free: boolean }>('select pg_try_advisory_lock(hashtext($1)) as free', [key]);
      if (!rows[0]?.free) continue;
      await client.query('select pg_advisory_unlock(hashtext($1))', [key]);
      dead.push(owner);
    }
    return dead;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    this.held.clear();
    await client?.end().catch(() => undefined);
  }

  private key(name: string): string {
    return `slack-invite-bot:${this.namespace}:${name}`;
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', () => this.listeners.forEach((listener) => listener()));
    await client.connect();
    await client.query('select pg_advisory_lock(hashtext($1))', [this.key(`instance:${this.owner}`)]);
    await client.query(`listen ${WORK_CHANNEL}`);
    this.client = client;
    this.failures = 0;
  }

  /** The connection went: so did every lock on it. Stop claiming to hold them, and reconnect. */
  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.held.size > 0) this.logger.warn({ event: 'sender_lock_lost', services: [...this.held] }, 'lost the connection that held the sender locks');
    this.held.clear();
    if (!this.closed) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = Math.min(RECONNECT_MAX_MS, 500 * 2 ** this.failures);
    this.reconnectTimer = setTimeout(() => {
      this.open().catch((error: unknown) => {
        this.failures += 1;
        this.logger.warn({ event: 'coordination_reconnect_failed', error: error instanceof Error ? error.message : String(error) }, 'could not reconnect to PostgreSQL');
        if (!this.closed) this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }
}

/** The coordination a store needs: none beyond the data directory's lock for SQLite, advisory locks for PostgreSQL. */
export async function coordinationFor(storage: StorageLocation, owner: string, logger: Logger): Promise<Coordination> {
  if (storage.kind === 'sqlite') return singleProcessCoordination();
  // Replicas of one deployment share the URL; two ledgers in one database (tests) differ by their search_path.
  const namespace = new URL(storage.url);
  namespace.password = '';
  return PostgresCoordination.connect(storage.url, owner, namespace.toString(), logger);
}
