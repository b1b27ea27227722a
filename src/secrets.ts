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
