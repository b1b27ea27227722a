/**
 * A Retry button's value: the request's reference and the positions of the invitees it retries, as ranges
 * (`R1:0-999` or `R1:1,4,7-9`), so a reply for a whole Huddle call still fits Slack's 2000 characters.
 */
export interface RetryTarget {
  readonly ref: string;
  readonly positions: readonly number[];
}

const MAX_VALUE_LENGTH = 2000;

export function encodeRetryValue(target: RetryTarget): string | undefined {
  const sorted = [...new Set(target.positions)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let index = 0; index < sorted.length; ) {
    const start = sorted[index] ?? 0;
    let end = start;
    while (sorted[index + 1] === end + 1) {
      end += 1;
      index += 1;
    }
    ranges.push(start === end ? String(start) : `${start}-${end}`);
    index += 1;
  }
  const value = `${target.ref}:${ranges.join(',')}`;
  return value.length <= MAX_VALUE_LENGTH ? value : undefined;
}

/** Undefined for anything this app did not write (a forged or garbled value). */
export function decodeRetryValue(value: string): RetryTarget | undefined {
  const match = /^([A-Za-z0-9-]{1,64}):((?:\d{1,4}(?:-\d{1,4})?)(?:,\d{1,4}(?:-\d{1,4})?)*)$/.exec(value);
  if (!match) return undefined;
  const positions: number[] = [];
  for (const range of (match[2] ?? '').split(',')) {
    const [start = 0, end = start] = range.split('-').map(Number);
    if (end < start || end - start > 1000 || positions.length + end - start >= 1000) return undefined;
    for (let position = start; position <= end; position += 1) positions.push(position);
  }
  return { ref: match[1] ?? '', positions };
}
