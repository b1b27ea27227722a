/**
 * deploy/slack-invite-bot.service as systemd reads it. The unit is checked offline (this machine's systemd
 * is not its init), in a copy pointing at a temporary release directory, because `verify` also checks
 * that ExecStart= names an executable file.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const unit = readFileSync(join(root, 'deploy', 'slack-invite-bot.service'), 'utf8');
const RELEASE_DIR = '/opt/slack-invite-bot';
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

function setting(key: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((match) => match[1] as string);
}

describe('the systemd unit', () => {
  it('starts the launcher, stops with SIGTERM, waits well beyond the bot’s 10 s stop, restarts only after a crash', () => {
    expect(setting('ExecStart')).toEqual([`${RELEASE_DIR}/bin/slack-invite-bot`]);
    expect(setting('KillSignal')).toEqual(['SIGTERM']);
    expect(Number(setting('TimeoutStopSec')[0])).toBeGreaterThanOrEqual(20);
    expect(setting('Restart')).toEqual(['on-failure']);
  });

  it('gives the bot ./data under its working directory, and nothing else to write', () => {
    expect(setting('WorkingDirectory')).toEqual(['/var/lib/slack-invite-bot']);
    expect(setting('StateDirectory')).toEqual(['slack-invite-bot/data']);
    expect(setting('ProtectSystem')).toEqual(['strict']);
  });

  it.skipIf(!hasSystemdAnalyze)('is accepted by systemd-analyze verify without a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'invite-bot-unit-'));
    try {
      const release = join(dir, 'release');
      mkdirSync(join(release, 'bin'), { recursive: true });
      cpSync(join(root, 'bin', 'slack-invite-bot'), join(release, 'bin', 'slack-invite-bot'));
      const unitFile = join(dir, 'slack-invite-bot.service');
      writeFileSync(unitFile, unit.replaceAll(RELEASE_DIR, release));
      const result = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
      expect({ status: result.status, complaints: result.stderr.trim() }).toEqual({ status: 0, complaints: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
