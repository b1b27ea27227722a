export const REDACTED = '[redacted]';

/**
 * Replaces each secret, raw and as it appears inside a JSON string, with a marker. Values shorter than
 * four characters are left alone: scrubbing them would mangle every line without protecting anything.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
      scrubbed = scrubbed.split(form).join(REDACTED);
    }
  }
  return scrubbed;
}

/** How many decrypted tokens the logs keep scrubbing: the most recent ones, which are the ones in use. */
const RUNTIME_SECRET_LIMIT = 256;

/**
 * Secrets that become known only while the bot runs: people's linked tokens, once decrypted or granted.
 * Each thread has its own (module state is per thread); its logger scrubs them like the configured ones.
 */
export class RuntimeSecrets {
  private readonly known = new Set<string>();

  add(secret: string): void {
    if (secret.length < 4) return;
    this.known.delete(secret);
    this.known.add(secret);
    if (this.known.size > RUNTIME_SECRET_LIMIT) this.known.delete(this.known.values().next().value as string);
  }

  values(): readonly string[] {
    return [...this.known];
  }
}

export const runtimeSecrets = new RuntimeSecrets();
