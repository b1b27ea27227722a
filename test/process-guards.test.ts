import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CRASH_EXIT_CODE, installProcessGuards, type ProcessEvents } from '../src/process-guards.js';
import { recordingLogger } from './fakes/recording-logger.js';

function fakeProcess() {
  const events = new EventEmitter();
  const exits: number[] = [];
  const { logger, entries } = recordingLogger(['xoxb-secret-in-a-message']);
  const uninstall = installProcessGuards(logger, (code) => exits.push(code), events as ProcessEvents);
  return { events, exits, entries, uninstall };
}

describe('installProcessGuards', () => {
  it('logs an unhandled rejection at level fatal with its stack, then exits 1', () => {
    const { events, exits, entries } = fakeProcess();
    const reason = new Error('socket mode gave up reconnecting');
    events.emit('unhandledRejection', reason, Promise.resolve());
    expect(exits).toEqual([CRASH_EXIT_CODE]);
    expect(CRASH_EXIT_CODE).not.toBe(0);
    const [entry] = entries();
    expect(entry).toMatchObject({ level: 60, event: 'unhandled_rejection', error: 'socket mode gave up reconnecting' });
    expect(entry?.stack).toBe(reason.stack);
    expect(entry?.stack).toContain('process-guards.test.ts');
  });

  it('describes a rejection with something other than an Error', () => {
    const { events, exits, entries } = fakeProcess();
    events.emit('unhandledRejection', 'a plain string', Promise.resolve());
    events.emit('unhandledRejection', undefined, Promise.resolve());
    expect(exits).toEqual([1, 1]);
    expect(entries().map((entry) => [entry.event, entry.error, entry.stack])).toEqual([
      ['unhandled_rejection', 'a plain string', undefined],
      ['unhandled_rejection', 'undefined', undefined],
    ]);
  });

  it('logs an uncaught exception the same way, under its own event', () => {
    const { events, exits, entries } = fakeProcess();
    events.emit('uncaughtException', new TypeError('cannot read properties of undefined'));
    expect(exits).toEqual([1]);
    expect(entries()).toEqual([expect.objectContaining({ level: 60, event: 'uncaught_exception', error: 'cannot read properties of undefined', stack: expect.stringContaining('TypeError') })]);
  });

  it('keeps secrets out of the crash line', () => {
    const { events, entries } = fakeProcess();
    events.emit('unhandledRejection', new Error('auth failed for xoxb-secret-in-a-message'));
    expect(JSON.stringify(entries())).not.toContain('xoxb-secret-in-a-message');
  });

  it('exits even when the log cannot be written', () => {
    const events = new EventEmitter();
    const exits: number[] = [];
    const brokenLogger = {
      fatal: () => {
        throw new Error('EPIPE');
      },
    };
    installProcessGuards(brokenLogger, (code) => exits.push(code), events as ProcessEvents);
    expect(() => events.emit('unhandledRejection', new Error('boom'))).toThrow('EPIPE');
    expect(exits).toEqual([1]);
  });

  it('stops listening once uninstalled', () => {
    const { events, exits, uninstall } = fakeProcess();
    uninstall();
    expect(events.listenerCount('unhandledRejection') + events.listenerCount('uncaughtException')).toBe(0);
    events.emit('unhandledRejection', new Error('after uninstall'));
    expect(exits).toEqual([]);
  });
});
