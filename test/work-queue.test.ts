import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../src/work-queue.js';
import { recordingLogger } from './fakes/recording-logger.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('WorkQueue', () => {
  it('runs at most `concurrency` jobs and refuses work beyond `maxPending`', async () => {
    const queue = new WorkQueue({ concurrency: 1, maxPending: 1, logger: recordingLogger().logger });
    const first = deferred();
    const ran: string[] = [];
    expect(queue.tryEnqueue('a', async () => { ran.push('a'); await first.promise; })).toBe(true);
    expect(queue.tryEnqueue('b', async () => { ran.push('b'); })).toBe(true);
    expect(queue.tryEnqueue('c', async () => { ran.push('c'); })).toBe(false);
    expect(ran).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual(['a']);
    first.resolve();
    expect(await queue.drain(1_000)).toBe(true);
    expect(ran).toEqual(['a', 'b']);
  });

  it('stops taking work when draining and reports a job that outlives the deadline', async () => {
    const queue = new WorkQueue({ concurrency: 2, maxPending: 10, logger: recordingLogger().logger });
    const never = deferred();
    queue.tryEnqueue('slow', () => never.promise);
    expect(await queue.drain(50)).toBe(false);
    expect(queue.isAccepting).toBe(false);
    expect(queue.tryEnqueue('late', async () => undefined)).toBe(false);
    never.resolve();
  });

  it('logs a crashing job and keeps going', async () => {
    const log = recordingLogger();
    const queue = new WorkQueue({ concurrency: 1, maxPending: 10, logger: log.logger });
    const ran: string[] = [];
    queue.tryEnqueue('boom', async () => {
      throw new Error('kaput');
    });
    queue.tryEnqueue('next', async () => {
      ran.push('next');
    });
    await queue.drain(1_000);
    expect(ran).toEqual(['next']);
    expect(log.entries().find((entry) => entry.event === 'job_crashed')).toMatchObject({ job: 'boom' });
  });
});
