import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const manifest = readFileSync(resolve(import.meta.dirname, '..', 'manifest.yml'), 'utf8');
const value = (key: string) => new RegExp(`^\\s*${key}:\\s*(.+)$`, 'm').exec(manifest)?.[1]?.trim();

describe('manifest.yml', () => {
  it('declares /invite with escaping, a description and a usage hint', () => {
    expect(value('- command')).toBe('/invite');
    expect(value('should_escape')).toBe('true');
    expect(value('description')).toBeTruthy();
    expect(value('usage_hint')).toContain('to kantata:"Acme Rollout" as buyer');
  });

  it('asks for exactly the bot scopes the app uses', () => {
    const scopes = /bot:\n((?:\s+- .+\n)+)/.exec(manifest)?.[1]?.match(/- (\S+)/g)?.map((line) => line.slice(2));
    expect(scopes).toEqual(['commands', 'chat:write', 'chat:write.public', 'users:read', 'users:read.email', 'usergroups:read']);
  });

  it('has the Home tab, and subscribes to app_home_opened (no scope needed)', () => {
    expect(value('home_tab_enabled')).toBe('true');
    const events = /bot_events:\n((?:\s+- .+\n)+)/.exec(manifest)?.[1]?.match(/- (\S+)/g)?.map((line) => line.slice(2));
    expect(events).toEqual(['app_home_opened']);
  });

  it('turns on interactivity and Socket Mode, within Slack’s name limits', () => {
    expect(value('is_enabled')).toBe('true');
    expect(value('socket_mode_enabled')).toBe('true');
    expect(value('name')?.length).toBeLessThanOrEqual(35);
    expect(value('display_name')?.length).toBeLessThanOrEqual(80);
  });
});
