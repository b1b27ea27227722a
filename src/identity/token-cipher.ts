import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TokenKeyConfig } from '../config.js';

/** A token that could not be decrypted: an unknown key id, a damaged value, or one moved to another row. */
export class TokenDecryptionError extends Error {
  readonly code = 'token_undecryptable';
  constructor(reason: string) {
    super(`a stored token could not be decrypted: ${reason}`);
    this.name = 'TokenDecryptionError';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for people's tokens at rest. Each value is `v1.<key id>.<iv>.<ciphertext and tag>`
 * (base64url): the key id says which key of TOKEN_ENCRYPTION_KEY decrypts it, so a new key can be put
 * first while the old ones still read what they wrote. The caller's `context` (whose token, for what) is
 * authenticated with it, so a ciphertext copied into another person's row does not decrypt.
 */
export class TokenCipher {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly currentKeyId: string;

  constructor(keys: readonly TokenKeyConfig[]) {
    const [first] = keys;
    if (!first) throw new Error('TokenCipher needs at least one key');
    this.currentKeyId = first.id;
    this.keys = new Map(keys.map((key) => [key.id, Buffer.from(key.key, 'base64')]));
  }

  encrypt(plaintext: string, context: string): string {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.currentKeyId, iv.toString('base64url'), sealed.toString('base64url')].join('.');
  }

  decrypt(envelope: string, context: string): string {
    const [version, keyId = '', ivText = '', sealedText = ''] = envelope.split('.');
    if (version !== VERSION) throw new TokenDecryptionError('unknown format');
    const key = this.keys.get(keyId);
    if (!key) throw new TokenDecryptionError(`key ${keyId} is not in TOKEN_ENCRYPTION_KEY`);
    const iv = Buffer.from(ivText, 'base64url');
    const sealed = Buffer.from(sealedText, 'base64url');
    if (iv.length !== IV_BYTES || sealed.length < TAG_BYTES) throw new TokenDecryptionError('damaged value');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenDecryptionError('authentication failed');
    }
  }

  /** The key id a stored value was written with. */
  static keyIdOf(envelope: string): string | undefined {
    return envelope.split('.')[1];
  }
}
