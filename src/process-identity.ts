import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Names this process in the ledger's leases: unique across restarts and machines, readable in `cli pending`. */
export function processOwnerId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
}
