import { describe, expect, it } from 'vitest';
import { RuntimeSecrets, runtimeSecrets } from '../../src/secrets.js';
import { recordingLogger } from '../fakes/recording-logger.js';

describe('tokens learnt while the bot runs', () => {
  it('are scrubbed from every log line once decrypted or granted, wherever they hide', () => {
    const log = recordingLogger([]);
    const token = `linked-token-${Date.now()}-abcdef`;
    runtimeSecrets.add(token);
    log.logger.warn({ event: 'upstream_said', body: `{"echo":"Bearer ${token}"}`, nested: { token } }, `a message with ${token}`);
    const line = log.lines.join('\n');
    expect(line).not.toContain(token);
    expect(line).toContain('[redacted]');
  });

  it('keeps only the most recent ones, so scrubbing stays cheap', () => {
    const secrets = new RuntimeSecrets();
    for (let i = 0; i < 300; i += 1) secrets.add(`token-number-${i}`);
    expect(secrets.values()).toHaveLength(256);
    expect(secrets.values()).toContain('token-number-299');
    expect(secrets.values()).not.toContain('token-number-0');
  });
});
