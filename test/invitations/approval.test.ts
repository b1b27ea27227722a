import { describe, expect, it } from 'vitest';
import { approvalReason } from '../../src/invitations/approval.js';
import type { InvitationRequest } from '../../src/invitations/request.js';

const requestedBy = { userId: 'U1', channelId: 'C1' };
const kantata = (role: 'maven' | 'buyer', ...emails: string[]): InvitationRequest => ({ service: 'kantata', workspaceId: '1', role, invitees: emails.map((email) => ({ email })), requestedBy });
const huddle = (...emails: string[]): InvitationRequest => ({ service: 'huddle', workspaceId: '2', invitees: emails.map((email) => ({ email })), requestedBy });
const internal = ['northwind.example'];

describe('which requests wait for an approver', () => {
  it('none: nothing waits', () => {
    expect(approvalReason(kantata('buyer', 'a@outside.example'), { required: 'none' }, internal)).toBeUndefined();
  });

  it('external: any address outside the internal domains (subdomains are inside)', () => {
    expect(approvalReason(kantata('maven', 'a@northwind.example', 'b@eu.northwind.example'), { required: 'external' }, internal)).toBeUndefined();
    expect(approvalReason(huddle('a@northwind.example', 'b@northwind.example.evil.example'), { required: 'external' }, internal)).toBe('external');
    expect(approvalReason(huddle('a@notnorthwind.example'), { required: 'external' }, internal)).toBe('external');
  });

  it('client: Kantata buyer invitations only', () => {
    expect(approvalReason(kantata('buyer', 'a@northwind.example'), { required: 'client' }, internal)).toBe('client');
    expect(approvalReason(kantata('maven', 'a@outside.example'), { required: 'client' }, internal)).toBeUndefined();
    expect(approvalReason(huddle('a@outside.example'), { required: 'client' }, internal)).toBeUndefined();
  });

  it('all: every request', () => {
    expect(approvalReason(huddle('a@northwind.example'), { required: 'all' }, internal)).toBe('all');
  });
});
