import { randomBytes } from 'node:crypto';

const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/** A short id shown with every error and written to the matching log lines, e.g. `R7KQ2MX`. */
export function newReference(): string {
  return `R${[...randomBytes(6)].map((byte) => ALPHABET[byte % ALPHABET.length]).join('')}`;
}
