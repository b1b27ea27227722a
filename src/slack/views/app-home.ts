import type { KnownBlock, SectionBlock } from '@slack/types';
import type { CheckResult } from '../../doctor.js';
import type { LinkCount } from '../../identity/link-store.js';
import type { UnfinishedRequest } from '../../invitations/ledger/ledger.js';
import type { ServiceName } from '../../invitations/request.js';
import { homeText, SERVICE_LABELS } from '../../messages.js';
import { connectButton } from '../connect-prompt.js';
import { escapeMrkdwn, slackDateTime, truncate, userMention } from '../mrkdwn.js';
import { context, section, sections, workspaceMrkdwn } from '../render.js';

/** Action id of the Disconnect buttons; the button's value names the service. */
export const DISCONNECT_ACTION_ID = 'home_disconnect';

/** How the person stands with one service. */
export type HomeAccount =
  | { readonly service: ServiceName; readonly state: 'linked'; readonly name: string; readonly since: number }
  | { readonly service: ServiceName; readonly state: 'broken'; readonly name: string; readonly connectUrl: string }
  /** `fallsBack`: until they connect, the shared account is used for them. */
  | { readonly service: ServiceName; readonly state: 'unlinked'; readonly fallsBack: boolean; readonly connectUrl: string }
  | { readonly service: ServiceName; readonly state: 'shared_only' };

export interface HomeAdmin {
  readonly everyone: readonly UnfinishedRequest[];
  readonly checks: readonly CheckResult[];
  readonly pending: readonly UnfinishedRequest[];
  readonly links: readonly LinkCount[];
}

export interface HomeData {
  readonly accounts: readonly HomeAccount[];
  readonly mine: readonly UnfinishedRequest[];
  readonly admin?: HomeAdmin;
  /** Where a workspace opens in a browser, for services with a stable address. */
  readonly workspaceUrl: (service: ServiceName, workspaceId: string) => string | undefined;
}

/** Slack's limits for a Home tab: 100 blocks; the rest as in messages (render.ts). */
export const HOME_LIMITS = { blocks: 100, headerText: 150 } as const;

const header = (text: string): KnownBlock => ({ type: 'header', text: { type: 'plain_text', text: truncate(text, HOME_LIMITS.headerText), emoji: true } });
const divider: KnownBlock = { type: 'divider' };
/** A section with a button beside it (the buttons are built as plain objects, hence the cast). */
const sectionWithButton = (text: string, accessory: Record<string, unknown>): KnownBlock => ({ ...(section(text) as SectionBlock), accessory }) as unknown as KnownBlock;

function disconnectButton(service: ServiceName): Record<string, unknown> {
  const label = SERVICE_LABELS[service];
  return {
    type: 'button',
    action_id: DISCONNECT_ACTION_ID,
    value: service,
    text: { type: 'plain_text', text: homeText.disconnectButton },
    style: 'danger',
    confirm: {
      title: { type: 'plain_text', text: homeText.disconnectConfirmTitle },
      text: { type: 'plain_text', text: truncate(homeText.disconnectConfirmText(label), 300) },
      confirm: { type: 'plain_text', text: homeText.disconnectConfirm },
      deny: { type: 'plain_text', text: homeText.cancel },
      style: 'danger',
    },
  };
}

function accountBlock(account: HomeAccount): KnownBlock {
  const label = SERVICE_LABELS[account.service];
  switch (account.state) {
    case 'linked':
      return sectionWithButton(homeText.linked(label, `*${escapeMrkdwn(account.name)}*`, slackDateTime(account.since)), disconnectButton(account.service));
    case 'broken':
      return sectionWithButton(homeText.broken(label, `*${escapeMrkdwn(account.name)}*`), connectButton({ service: account.service, url: account.connectUrl, reconnect: true }));
    case 'unlinked':
      return sectionWithButton(account.fallsBack ? homeText.unlinkedShared(label) : homeText.unlinkedRequired(label), connectButton({ service: account.service, url: account.connectUrl }));
    case 'shared_only':
      return section(homeText.sharedOnly(label));
  }
}

const COUNT_ICONS: readonly [keyof UnfinishedRequest['counts'], string][] = [
  ['invited', ':white_check_mark:'],
  ['failed', ':x:'],
  ['unknown', ':grey_question:'],
  ['skipped', ':fast_forward:'],
  ['queued', ':hourglass_flowing_sand:'],
  ['sending', ':hourglass_flowing_sand:'],
];

/** One request in one line: its outcomes counted, where, when, its reference, and (for admins) who and as whom. */
export function requestLine(entry: UnfinishedRequest, data: Pick<HomeData, 'workspaceUrl'>, forAdmin: boolean): string {
  const { request, counts } = entry;
  const tally = new Map<string, number>();
  for (const [state, icon] of COUNT_ICONS) {
    const count = counts[state] ?? 0;
    if (count > 0) tally.set(icon, (tally.get(icon) ?? 0) + count);
  }
  const icons = [...tally].map(([icon, count]) => `${icon} ${count}`).join('  ') || ':hourglass_flowing_sand:';
  const url = data.workspaceUrl(request.service, request.workspaceId);
  const where = workspaceMrkdwn(request.workspaceId, { ...(request.workspaceTitle ? { title: request.workspaceTitle } : {}), ...(url ? { url } : {}) });
  const line = homeText.requestLine(icons, SERVICE_LABELS[request.service], where, slackDateTime(request.createdAt), request.ref);
  const identity = request.identity
    ? request.identity.kind === 'linked'
      ? homeText.asPerson(`*${escapeMrkdwn(request.identity.serviceUserName ?? request.identity.serviceUserId)}*`)
      : homeText.asBot()
    : undefined;
  const extras = [
    ...(forAdmin ? [userMention(request.userId)] : []),
    ...(identity ? [identity] : []),
    ...(request.awaitingLinkSince !== undefined ? [homeText.onHold()] : []),
  ];
  return extras.length > 0 ? `${line} · ${extras.join(' · ')}` : line;
}

function checkLine(check: CheckResult): string {
  const icon = { ok: ':white_check_mark:', warning: ':warning:', failed: ':x:', skipped: ':heavy_minus_sign:' }[check.status];
  return homeText.checkLine(icon, escapeMrkdwn(check.part), check.status, escapeMrkdwn(check.detail));
}

/**
 * The Home tab: the person's accounts (connect, reconnect or disconnect), their last invitations with
 * outcomes and references, and for admins everyone's last requests, the doctor's checks, linked accounts
 * and what is pending. Everything echoed is escaped; every block within Slack's limits.
 */
export function buildAppHome(data: HomeData): { type: 'home'; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [header(homeText.title), section(homeText.intro()), divider, header(homeText.accountsHeading)];
  blocks.push(...data.accounts.map(accountBlock));
  if (data.accounts.some((account) => account.state === 'unlinked' || account.state === 'broken')) blocks.push(context(homeText.connectLinkNote()));
  blocks.push(divider, header(homeText.mineHeading));
  blocks.push(...(data.mine.length > 0 ? sections(data.mine.map((entry) => requestLine(entry, data, false))) : [section(homeText.noneYet())]));
  const { admin } = data;
  if (admin) {
    blocks.push(divider, header(homeText.everyoneHeading));
    blocks.push(...(admin.everyone.length > 0 ? sections(admin.everyone.map((entry) => requestLine(entry, data, true))) : [section(homeText.noneYet())]));
    blocks.push(header(homeText.checksHeading), ...sections([...admin.checks.map(checkLine), ...linkLines(admin.links)]));
    blocks.push(header(homeText.pendingHeading));
    blocks.push(...(admin.pending.length > 0 ? sections(admin.pending.map((entry) => requestLine(entry, data, true))) : [section(homeText.nothingPending())]));
  }
  const limited = blocks.length <= HOME_LIMITS.blocks ? blocks : [...blocks.slice(0, HOME_LIMITS.blocks - 1), context(homeText.more(blocks.length - HOME_LIMITS.blocks + 1))];
  return { type: 'home', blocks: limited };
}

function linkLines(counts: readonly LinkCount[]): string[] {
  const services = [...new Set(counts.map((count) => count.service))];
  return services.map((service) => {
    const of = (status: LinkCount['status']) => counts.find((count) => count.service === service && count.status === status)?.count ?? 0;
    return homeText.linksLine(SERVICE_LABELS[service], of('active'), of('broken'));
  });
}
