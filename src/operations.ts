import type { InviteeState, RequestReport, StoredInvitee, UnfinishedRequest } from './invitations/ledger/ledger.js';
import { failureText, ROLE_LABELS, SERVICE_LABELS } from './messages.js';

/** Operators' views of the ledger, as plain text lines: what `npm run cli -- show` and `pending` print. */

function time(ms: number | undefined): string {
  return ms === undefined ? '-' : `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd());
}

/** What the service said about one invitee, in one line. */
export function upstreamAnswer(report: RequestReport, invitee: StoredInvitee): string {
  const { request } = report;
  if (invitee.state === 'invited') return invitee.invitationId ? `invited (invitation ${invitee.invitationId})` : 'invited';
  if (invitee.state === 'skipped') return invitee.previous ? `skipped: invited by ${invitee.previous.userId} at ${time(invitee.previous.at)}` : 'skipped';
  if ((invitee.state === 'failed' || invitee.state === 'unknown') && invitee.error) {
    return failureText(request.service, request.workspaceId, { status: invitee.state, invitee: { email: invitee.email }, error: invitee.error }, request.identity?.kind === 'linked' ? 'you' : 'bot');
  }
  return invitee.state === 'sending' ? 'on its way to the service' : 'waiting to be sent';
}

export function showRequest(report: RequestReport): string[] {
  const { request, invitees } = report;
  const counts = countStates(invitees);
  const where = `${SERVICE_LABELS[request.service]} workspace ${request.workspaceId}${request.workspaceTitle ? ` "${request.workspaceTitle}"` : ''}`;
  return [
    `request ${request.ref}: accepted ${time(request.createdAt)} from ${request.userId} in ${request.channelId} (${request.source})`,
    `  ${where}${request.role ? ` as ${ROLE_LABELS[request.role]}` : ''}${request.messageLength > 0 ? `; personal message of ${request.messageLength} characters` : ''}`,
    ...(request.identity ? [`  sent as: ${identityOf(request.identity)}${request.awaitingLinkSince !== undefined ? `; on hold since ${time(request.awaitingLinkSince)} until the requester reconnects` : ''}`] : []),
    `  finished: ${time(request.finishedAt)}; reported in Slack: ${request.summary ? `${request.summary.via} ${request.summary.channel} ts ${request.summary.ts}` : 'not yet'}${request.deliveredAt ? `, done ${time(request.deliveredAt)}` : ''}`,
    `  invitees: ${invitees.length} (${Object.entries(counts).map(([state, count]) => `${count} ${state}`).join(', ')})`,
    ...table([
      ['state', 'attempts', 'address', 'name', 'upstream answer'],
      ...invitees.map((invitee) => [invitee.state, String(invitee.attempts), invitee.email, invitee.fullName ?? '', upstreamAnswer(report, invitee)]),
    ]).map((line) => `  ${line}`),
  ];
}

export function pendingRequests(unfinished: readonly UnfinishedRequest[], now: number): string[] {
  return table([
    ['ref', 'age', 'service', 'workspace', 'states', 'reported'],
    ...unfinished.map(({ request, counts }) => [
      request.ref,
      age(now - request.createdAt),
      request.service,
      request.workspaceId,
      Object.entries(counts).map(([state, count]) => `${count} ${state}`).join(', '),
      request.summary ? 'summary posted' : 'not yet',
    ]),
  ]);
}

/** Who a request was sent as: the service's id (and name) of the requester, never a token. */
function identityOf(identity: NonNullable<RequestReport['request']['identity']>): string {
  return identity.kind === 'linked' ? `the requester's own account (service user ${identity.serviceUserId}${identity.serviceUserName ? `, ${identity.serviceUserName}` : ''})` : "the bot's shared account";
}

function countStates(invitees: readonly StoredInvitee[]): Partial<Record<InviteeState, number>> {
  const counts: Partial<Record<InviteeState, number>> = {};
  for (const invitee of invitees) counts[invitee.state] = (counts[invitee.state] ?? 0) + 1;
  return counts;
}

function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3_600)} h`;
}
