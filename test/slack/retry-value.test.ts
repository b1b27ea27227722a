import { describe, expect, it } from 'vitest';
import { decodeRetryValue, encodeRetryValue } from '../../src/slack/retry-value.js';

describe('Retry button values', () => {
  it('write positions as ranges and read them back', () => {
    expect(encodeRetryValue({ ref: 'R1AB', positions: [7, 1, 4, 8, 9] })).toBe('R1AB:1,4,7-9');
    expect(decodeRetryValue('R1AB:1,4,7-9')).toEqual({ ref: 'R1AB', positions: [1, 4, 7, 8, 9] });
    const all = Array.from({ length: 1000 }, (_, index) => index);
    expect(encodeRetryValue({ ref: 'R1AB', positions: all })).toBe('R1AB:0-999');
    expect(decodeRetryValue('R1AB:0-999')?.positions).toEqual(all);
  });

  it('leave out a value Slack would not take', () => {
    const scattered = Array.from({ length: 1000 }, (_, index) => index * 2).filter((position) => position < 1000 * 2);
    expect(encodeRetryValue({ ref: 'R1AB', positions: scattered })).toBeUndefined();
  });

  it('refuse values this app did not write', () => {
    for (const forged of ['', 'R1AB', 'R1AB:', 'R1AB:9-1', 'R1AB:0-5000', 'R1AB:0-999,0-999', 'R1 AB:1', 'R1AB:1;2', 'R1AB:-1', `${'R'.repeat(65)}:1`]) {
      expect(decodeRetryValue(forged), forged).toBeUndefined();
    }
  });
});
