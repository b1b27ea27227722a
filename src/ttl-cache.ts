/**
 * Values worth reusing for a while (a workspace's participants, a user's facts), loaded once however many
 * ask at the same time. A failed load is not kept: the next caller asks again. At most `maxEntries` are
 * kept, the oldest dropped first.
 */
export class TtlCache<T> {
  private readonly entries = new Map<string, { readonly expiresAt: number; readonly value: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 1_000,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > this.now()) return hit.value;
    const value = load();
    this.entries.delete(key);
    this.entries.set(key, { expiresAt: this.now() + this.ttlMs, value });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /** Loads anew whatever is kept: for when a stale answer would mislead (a check before sending again). */
  refresh(key: string, load: () => Promise<T>): Promise<T> {
    this.entries.delete(key);
    return this.get(key, load);
  }

  /** The value if one is kept and fresh, without loading. */
  peek(key: string): Promise<T> | undefined {
    const hit = this.entries.get(key);
    return hit && hit.expiresAt > this.now() ? hit.value : undefined;
  }
}
