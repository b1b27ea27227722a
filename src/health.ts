/**
 * What stands between the bot and being ready for work, by name: starting up, a Socket Mode connection that
 * is down, a shutdown in progress. Liveness asks only whether the process answers; readiness asks this.
 */
export class Readiness {
  private readonly blockers = new Map<string, string>();

  /** Marks the bot not ready for `reason` until `clear(name)`; a later reason under the same name replaces it. */
  block(name: string, reason: string): void {
    this.blockers.set(name, reason);
  }

  clear(name: string): void {
    this.blockers.delete(name);
  }

  get ready(): boolean {
    return this.blockers.size === 0;
  }

  get reasons(): string[] {
    return [...this.blockers.values()];
  }
}
