import { describe, expect, it } from 'vitest';
import { TokenCipher, TokenDecryptionError } from '../../src/identity/token-cipher.js';

const k1 = { id: 'k1', key: Buffer.alloc(32, 1).toString('base64') };
const k2 = { id: 'k2', key: Buffer.alloc(32, 2).toString('base64') };
const CONTEXT = 'slack-invite-bot/link/T1/U1/kantata/access';

describe('TokenCipher', () => {
  it('seals with the first key under its id, never showing the token, and opens it again', () => {
    const cipher = new TokenCipher([k1, k2]);
    const sealed = cipher.encrypt('secret-token-value', CONTEXT);
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('secret-token-value');
    expect(sealed).not.toBe(cipher.encrypt('secret-token-value', CONTEXT));
    expect(cipher.decrypt(sealed, CONTEXT)).toBe('secret-token-value');
    expect(TokenCipher.keyIdOf(sealed)).toBe('k1');
  });

  it('reads what an older key sealed once a new key is put first, and nothing once the old key is gone', () => {
    const old = new TokenCipher([k1]).encrypt('older-token', CONTEXT);
    expect(new TokenCipher([k2, k1]).decrypt(old, CONTEXT)).toBe('older-token');
    expect(() => new TokenCipher([k2]).decrypt(old, CONTEXT)).toThrow(TokenDecryptionError);
  });

  it('refuses a value moved to another person or tampered with', () => {
    const cipher = new TokenCipher([k1]);
    const sealed = cipher.encrypt('annes-token', CONTEXT);
    expect(() => cipher.decrypt(sealed, 'slack-invite-bot/link/T1/U2/kantata/access')).toThrow(TokenDecryptionError);
    const last = sealed.at(-1) === 'A' ? 'B' : 'A';
    expect(() => cipher.decrypt(`${sealed.slice(0, -1)}${last}`, CONTEXT)).toThrow(TokenDecryptionError);
    expect(() => cipher.decrypt('plain-token', CONTEXT)).toThrow(TokenDecryptionError);
  });
});
