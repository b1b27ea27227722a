/**
 * Every text a person can read comes from here, so wording is reviewed in one place.
 * Texts are plain: whoever renders them for Slack escapes them for mrkdwn.
 */
import type { OutcomeError, ProblemOutcome } from './invitations/outcome.js';
import type { ServiceName } from './invitations/request.js';
import { SERVICE_LABELS } from './providers/errors.js';
import { escapeMrkdwn } from './slack/mrkdwn.js';

export { SERVICE_LABELS };

const ECHO_LIMIT = 60;
/** A service's own words are quoted in full unless they are absurdly long. */
const SERVICE_MESSAGE_LIMIT = 500;

/** Echoes a piece of user input in quotes, cut short so hostile input cannot flood a message. */
export function quoted(text: string, limit = ECHO_LIMIT): string {
  const characters = [...text.replace(/\s+/g, ' ').trim()];
  const cut = characters.length > limit ? `${characters.slice(0, limit - 1).join('')}…` : characters.join('');
  return `"${cut}"`;
}

function list(items: readonly string[], max = 10): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

export type EmailProblem =
  | 'empty'
  | 'too_long'
  | 'no_at'
  | 'several_at'
  | 'no_local_part'
  | 'local_part_too_long'
  | 'quoted_local_part'
  | 'bad_local_part'
  | 'bad_domain'
  | 'whitespace'
  | 'non_ascii';

const EMAIL_PROBLEM_TEXT: Readonly<Record<EmailProblem, string>> = {
  empty: 'has no e-mail address',
  too_long: 'is longer than 254 characters',
  no_at: 'has no @',
  several_at: 'has more than one @',
  no_local_part: 'has nothing before the @',
  local_part_too_long: 'has more than 64 characters before the @',
  quoted_local_part: 'uses a quoted name before the @, which the services do not accept',
  bad_local_part: 'has characters before the @ that an address cannot have',
  bad_domain: 'does not end in a valid domain name (like acme.com)',
  whitespace: 'contains spaces',
  non_ascii: 'contains non-ASCII characters (write an international domain in its xn-- form)',
};

export const validationText = {
  serviceMissing: (available: readonly ServiceName[]) =>
    `Say which service to invite through: ${available.map((s) => s).join(' or ')}.`,
  serviceUnknown: (given: string, available: readonly ServiceName[]) =>
    `${quoted(given)} is not a service this bot knows. Use ${available.join(' or ')}.`,
  serviceNotConfigured: (service: ServiceName, available: readonly ServiceName[]) =>
    `${SERVICE_LABELS[service]} is not set up for this bot. Use ${available.join(' or ')}.`,
  workspaceMissing: () => 'Say which workspace to invite to, by its name or id (for example kantata:"Acme Rollout" or kantata:12345).',
  workspaceInvalid: (given: string) =>
    `${quoted(given)} is not a workspace id. An id is a number, for example 12345.`,
  noInvitees: () => 'Add at least one e-mail address to invite.',
  tooManyInvitees: (count: number, max: number) =>
    `That is ${count} people; one request can invite at most ${max}. Split it into smaller requests.`,
  invalidAddresses: (problems: readonly { address: string; problem: EmailProblem }[]) =>
    `${problems.length === 1 ? 'This is not a valid e-mail address' : 'These are not valid e-mail addresses'}: ${list(
      problems.map(({ address, problem }) => `${quoted(address)} ${EMAIL_PROBLEM_TEXT[problem]}`),
    )}. Nothing was sent.`,
  namesMissing: (addresses: readonly string[]) =>
    `Kantata OX needs a full name for everyone invited; missing for ${list(addresses)}. ` +
    'Write each person as "Full Name <address>".',
  nameInvalid: (addresses: readonly string[]) =>
    `The name given for ${list(addresses)} contains control or invisible formatting characters.`,
  nameTooLong: (addresses: readonly string[], max: number) =>
    `The name given for ${list(addresses)} is longer than ${max} characters.`,
  roleMissing: () => 'Choose a Kantata OX role: maven (your own team, a consultant) or buyer (the client).',
  roleInvalid: (given: string) =>
    `${quoted(given)} is not a Kantata OX role. Use maven (your own team, a consultant) or buyer (the client).`,
  roleNotForHuddle: (given: string) =>
    `Huddle invitations have no role, so ${quoted(given)} cannot be applied. Remove the role to invite through Huddle.`,
  subjectNotForHuddle: () =>
    'Huddle invitations have no subject line. Remove the subject, or put its text in the message.',
  textTooLong: (what: 'subject' | 'message', length: number, max: number) =>
    `The ${what} is ${length} characters long; the limit is ${max}.`,
  textHasControlCharacters: (what: 'subject' | 'message') =>
    `The ${what} contains control or invisible formatting characters; remove them and try again.`,
  subjectMultiline: () => 'The subject must fit on one line.',
  channelRestricted: (service: ServiceName, workspaceId: string) =>
    `This channel may only invite to ${SERVICE_LABELS[service]} workspace ${workspaceId}.`,
  blockedDomain: (addresses: readonly string[]) =>
    `The bot's administrator does not allow invitations to ${list(addresses)}: the domain is blocked.`,
  mavenNotInternal: (addresses: readonly string[], domains: readonly string[]) =>
    `Team member (maven) invitations are only for ${list(domains)} addresses. Invite ${list(addresses)} as a client (buyer) instead.`,
} as const;

function seconds(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `${s} seconds` : `${Math.ceil(s / 60)} minutes`;
}

function said(error: OutcomeError): string {
  return error.serviceMessage ? `: ${quoted(error.serviceMessage, SERVICE_MESSAGE_LIMIT)}` : '';
}

function httpStatus(error: OutcomeError): string {
  const parts = [
    error.httpStatus !== undefined ? `HTTP ${error.httpStatus}` : undefined,
    error.code !== undefined ? `code ${error.code}` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

const MAY_HAVE_BEEN_SENT = 'The invitation may or may not have been sent: check the workspace before trying again.';

/** Whose account sent an invitation: the requester's own (`you`), or the bot's shared one. */
export type Sender = 'you' | 'bot';

/** Why a request's queued invitees failed after waiting too long for a reconnect (the ledger's reason). */
const NOT_RECONNECTED = 'account not reconnected';

/**
 * Why one invitation did not go through, in the words a person needs to act on it. Sent with the
 * requester's own linked account (`you`), it speaks of their account and permissions, not the bot's.
 */
export function failureText(service: ServiceName, workspaceId: string, outcome: ProblemOutcome, sender: Sender = 'bot'): string {
  const label = SERVICE_LABELS[service];
  const { error } = outcome;
  switch (error.kind) {
    case 'invalid_request':
      return `${label} refused the invitation${httpStatus(error)}${said(error)}.`;
    case 'authentication':
      if (error.reason === NOT_RECONNECTED) {
        return `Your ${label} account was not reconnected within a day, so this invitation was not sent. Invite again once it is connected (the bot's Home tab shows how).`;
      }
      return sender === 'you'
        ? `${label} did not accept your connected account${httpStatus(error)}${said(error)}. Reconnect it from the bot's Home tab and invite again.`
        : `${label} did not accept the bot's credentials${httpStatus(error)}${said(error)}. An administrator needs to check the bot's ${label} credentials.`;
    case 'permission':
      return sender === 'you'
        ? `Your ${label} account is not allowed to invite people to workspace ${workspaceId}${httpStatus(error)}${said(error)}. A workspace manager can grant you that, or invite from ${label} directly.`
        : `The bot's ${label} account is not allowed to invite people to workspace ${workspaceId}${httpStatus(error)}${said(error)}. A workspace manager can grant that, or invite from ${label} directly.`;
    case 'not_found':
      return `${label} has no workspace ${workspaceId} that ${sender === 'you' ? 'you can' : "the bot's account can"} see${httpStatus(error)}${said(error)}. Check the id.`;
    case 'rate_limited':
      return `${label} kept rate limiting the bot${httpStatus(error)}, so the invitation was not sent.${
        error.retryAfterMs !== undefined ? ` ${label} asked to wait ${seconds(error.retryAfterMs)}.` : ' Try again in a few minutes.'
      }`;
    case 'unavailable':
      return `${label} is unavailable${httpStatus(error)}${said(error)}. The invitation was not sent; try again later.`;
    case 'server_error':
      return `${label} failed while handling the invitation${httpStatus(error)}${said(error)}. ${MAY_HAVE_BEEN_SENT}`;
    case 'unexpected_response':
      return `${label} gave an unexpected response${httpStatus(error)}. ${
        outcome.status === 'unknown' ? MAY_HAVE_BEEN_SENT : 'The invitation was not sent.'
      }`;
    case 'connection':
      return `Could not reach ${label} (${error.reason ?? 'connection failed'}). The invitation was not sent.`;
    case 'no_answer':
      return `${label} gave no answer (${error.reason ?? 'timed out'}). ${MAY_HAVE_BEEN_SENT}`;
    case 'internal':
      return `Something went wrong inside the bot. ${
        outcome.status === 'unknown' ? MAY_HAVE_BEEN_SENT : 'The invitation was not sent.'
      }`;
    case 'interrupted':
      return `The bot stopped while this invitation was on its way to ${label} (a crash or a forced restart). ${MAY_HAVE_BEEN_SENT}`;
    case 'denied':
      return `Not sent: an approver denied the request${error.reason ? `: ${quoted(error.reason, SERVICE_MESSAGE_LIMIT)}` : ''}.`;
    case 'expired':
      return 'Not sent: nobody decided on the request before it expired. Ask again if it is still needed.';
    case 'not_checked':
      return `Could not see who is on the project in ${label}, so the invitation was not sent again. ${MAY_HAVE_BEEN_SENT}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Slack wording. Functions here take already-escaped mrkdwn where they say `Mrkdwn`, and escape nothing
// themselves: src/slack/render.ts escapes user text before it reaches them.

export const ROLE_LABELS = { maven: 'Team member (maven)', buyer: 'Client (buyer)' } as const;

/**
 * A Kantata role in the project's own words once its team names are known ("Acme Corp (client)"),
 * otherwise in general ones ("Client (buyer)").
 */
export function roleLabel(role: 'maven' | 'buyer', teams?: { readonly maven: string; readonly buyer: string }): string {
  if (!teams) return ROLE_LABELS[role];
  return role === 'buyer' ? `${teams.buyer} (client)` : `${teams.maven} (team member)`;
}

/** The team someone is on, for "already on Acme Rollout (Acme Corp)". */
export function teamName(role: 'maven' | 'buyer', teams?: { readonly maven: string; readonly buyer: string }): string {
  if (teams) return teams[role];
  return role === 'buyer' ? 'Client team' : 'Provider team';
}

export const USAGE_EXAMPLE = '/invite "Bob Smith" <bob@acme.com>, ann@acme.com to kantata:12345 as buyer -- Welcome aboard';

/** Literal text shown as code in mrkdwn: `<`, `>` and `&` escaped, since Slack reads them as controls even there. */
function code(text: string): string {
  return `\`${escapeMrkdwn(text)}\``;
}

export function helpText(services: readonly ServiceName[]): string {
  const kantata = services.includes('kantata');
  const huddle = services.includes('huddle');
  const service = kantata ? 'kantata' : 'huddle';
  return [
    '*Invite people to a workspace*',
    '`/invite` on its own opens a form. Or write the whole request inline:',
    code(USAGE_EXAMPLE),
    `• *People*: ${code('bob@acme.com')}, ${code('Bob Smith <bob@acme.com>')}, ${code('"Bob Smith" <bob@acme.com>')} or a colleague’s @mention, separated by commas or spaces.`,
    `• *Where*: ${code(`to ${service}:<workspace id>`)} or by name, ${code(`to ${service}:"Acme Rollout"`)}${
      services.length === 1 ? ' (or just the id or the quoted name)' : ' (a quoted name alone searches every service)'
    }.${
      kantata && huddle ? ' Services: `kantata`, `huddle`.' : ''
    }`,
    ...(kantata
      ? ['• *Role* (Kantata OX only): `as buyer` (the client: also `client`) or `as maven` (your own team: also `consultant`, `team`). Kantata OX also needs each person’s full name.']
      : []),
    '• *Message* (optional): everything after `--` goes into the invitation e-mail.',
    'Anything missing? The form opens with what you wrote filled in.',
  ].join('\n');
}

const people = (count: number) => (count === 1 ? '1 person' : `${count} people`);

export const slackText = {
  accepted: (count: number, serviceLabel: string, workspaceMrkdwn: string, skipped = 0, roleMrkdwn?: string) =>
    `:hourglass_flowing_sand: Inviting ${people(count)} to ${serviceLabel} workspace ${workspaceMrkdwn}${roleMrkdwn ? ` as *${roleMrkdwn}*` : ''}${
      skipped > 0 ? ` (${skipped} skipped: invited there a short while ago)` : ''
    }… The result will be posted in this conversation.`,
  allSkipped: (serviceLabel: string, workspaceMrkdwn: string) =>
    `:fast_forward: Nobody was invited: everyone named was invited to ${serviceLabel} workspace ${workspaceMrkdwn} a short while ago. To invite them anyway, add \`--again\` (or tick “Invite again” in the form).`,
  storeUnavailable: (ref: string) =>
    `:warning: The bot cannot record invitations right now (its database is not answering), so nothing was sent. Please try again in a minute. (ref ${ref})`,
  problemsHeading: () => ':warning: Nothing was sent. Please fix this and try again:',
  unparseable: (piecesMrkdwn: readonly string[]) =>
    `${piecesMrkdwn.length === 1 ? 'This is not an e-mail address' : 'These are not e-mail addresses'}: ${list(piecesMrkdwn)}. Write people as ${code('name@company.com')} or ${code('"Full Name" <name@company.com>')}.`,
  notPeople: (namesMrkdwn: readonly string[]) =>
    `Channels, user groups and broadcasts cannot be invited (${list(namesMrkdwn)}). Mention people one by one.`,
  mentionWithoutEmail: (userMrkdwn: string) => `${userMrkdwn} has no e-mail address the bot can see.`,
  mentionIsBot: (userMrkdwn: string) => `${userMrkdwn} is a bot or an app, not a person.`,
  mentionDeleted: (userMrkdwn: string) => `${userMrkdwn}’s Slack account is deactivated.`,
  mentionLookupFailed: (userMrkdwn: string) => `Could not look up ${userMrkdwn} in Slack.`,
  usageHint: () => `Type \`/invite help\` for examples.`,
  modalOpenFailed: () => 'The form could not be opened in time. Please run the command again.',
  reference: (ref: string) => `ref ${ref}`,
  summaryHeadline: (inviterMrkdwn: string, count: number, serviceLabel: string, workspaceMrkdwn: string, roleLabel: string | undefined) =>
    `${inviterMrkdwn} ${count === 0 ? 'invited nobody new' : `invited ${people(count)}`} to ${serviceLabel} workspace ${workspaceMrkdwn}${
      roleLabel ? ` as *${roleLabel}*` : ''
    }`,
  progressHeadline: (inviterMrkdwn: string, done: number, count: number, serviceLabel: string, workspaceMrkdwn: string, roleLabel: string | undefined) =>
    `:hourglass_flowing_sand: Inviting ${done} of ${people(count)} to ${serviceLabel} workspace ${workspaceMrkdwn}${
      roleLabel ? ` as *${roleLabel}*` : ''
    }, for ${inviterMrkdwn}`,
  summaryCounts: (invited: number, failed: number, unknown: number, skipped = 0) =>
    [
      invited > 0 ? `:white_check_mark: ${invited} invited` : undefined,
      failed > 0 ? `:x: ${failed} failed` : undefined,
      unknown > 0 ? `:grey_question: ${unknown} not confirmed` : undefined,
      skipped > 0 ? `:fast_forward: ${skipped} skipped` : undefined,
    ]
      .filter(Boolean)
      .join('   '),
  summaryMoreInvitees: (count: number) => `…and ${count} more`,
  failuresInThread: () => 'Details of each problem are in the thread.',
  reposted: () => 'Posted again: an earlier attempt to post this went unanswered (a restart or a dropped connection), so a copy of it may be above.',
  summaryMessageLine: (length: number) => `Personal message included (${length} characters).`,
  threadReply: (icon: string, whoMrkdwn: string, fault: string, detailMrkdwn: string, ref: string) =>
    `${icon} *${fault}*: ${whoMrkdwn}\n${detailMrkdwn}\n_ref ${ref}_`,
  fallbackIntro: (channelMrkdwn: string) =>
    `I could not post in ${channelMrkdwn}, so here is the result of your invitation:`,
  outcomeStatusIcon: { pending: ':hourglass_flowing_sand:', invited: ':white_check_mark:', failed: ':x:', unknown: ':grey_question:', skipped: ':fast_forward:' } as const,
  skippedLine: (whoMrkdwn: string, byMrkdwn: string, atMrkdwn: string) => `${whoMrkdwn}: already invited by ${byMrkdwn} ${atMrkdwn}`,
  memberLine: (whoMrkdwn: string, workspaceMrkdwn: string, teamMrkdwn: string) => `${whoMrkdwn}: already on ${workspaceMrkdwn} (${teamMrkdwn}), so no e-mail was sent`,
  joinedLine: (whoMrkdwn: string) => `${whoMrkdwn} · joined`,
  approvedBy: (approverMrkdwn: string) => `Approved by ${approverMrkdwn}.`,
  againHint: () => 'Skipped people were invited to this workspace a few minutes ago. To invite them anyway, add `--again` to the command (or tick “Invite again” in the form).',
  overBudget: (limit: number, windowMinutes: number, remaining: number, availableAtMrkdwn: string | undefined) =>
    `:warning: Nothing was sent: you can invite up to ${people(limit)} every ${windowMinutes} minutes${
      remaining > 0 ? `, and have ${remaining} left right now` : ''
    }. ${availableAtMrkdwn ? `Send fewer, or try again ${availableAtMrkdwn}.` : 'Split the request into smaller ones.'}`,
  denied: {
    guest: () => ':no_entry: Guests cannot invite people to workspaces. Nothing was sent.',
    bot: () => ':no_entry: Bots and apps cannot invite people to workspaces. Nothing was sent.',
    deleted: () => ':no_entry: This account is deactivated. Nothing was sent.',
    external: () => ':no_entry: Only members of this organisation can invite people to its workspaces. Nothing was sent.',
    notAllowed: () => ':no_entry: You are not on the list of people allowed to invite others with this bot. Ask its administrator to add you. Nothing was sent.',
    lookupFailed: () => ':warning: Could not check with Slack whether you may invite people. Nothing was sent; please try again in a minute.',
  },
  notificationText: (count: number, serviceLabel: string, workspacePlain: string, invited: number) =>
    `${invited} of ${count} invited to ${serviceLabel} workspace ${workspacePlain}`,
  progressNotificationText: (done: number, count: number, serviceLabel: string, workspacePlain: string) =>
    `Inviting ${done} of ${count} to ${serviceLabel} workspace ${workspacePlain}`,
  workspaceNotFound: (nameMrkdwn: string, serviceLabels: readonly string[], closestMrkdwn: readonly string[], sender: Sender = 'bot') =>
    `No ${serviceLabels.join(' or ')} workspace that ${sender === 'you' ? 'you' : 'the bot'} can invite people to is called “${nameMrkdwn}”.${
      closestMrkdwn.length > 0 ? ` Closest names: ${list(closestMrkdwn)}.` : ''
    }`,
  workspaceLookupFailed: (nameMrkdwn: string, serviceLabel: string, timedOut: boolean) =>
    `Could not look up “${nameMrkdwn}” in ${serviceLabel} (${timedOut ? 'it did not answer in time' : 'the search failed'}). Try again, or give the workspace id, like \`to kantata:12345\`.`,
  workspaceAmbiguous: (nameMrkdwn: string, candidatesMrkdwn: readonly string[]) =>
    `Several workspaces match “${nameMrkdwn}”: ${list(candidatesMrkdwn)}. Give the id, like \`to kantata:12345\`.`,
} as const;

/** Texts of the form's workspace menu; option texts are cut to Slack's 75 characters by the view. */
export const workspaceMenuText = {
  option: (title: string, id: string) => `${title} (${id})`,
  byId: (id: string) => `Workspace ${id} (by id)`,
  unavailable: (serviceLabel: string, timedOut: boolean) =>
    `⚠ ${serviceLabel} ${timedOut ? 'is slow to answer' : 'search failed'}: type the workspace id`,
  notAnOption: () => 'Pick a workspace from the list. If the search cannot find it, type its id.',
  wrongService: (workspaceService: string, chosenService: string) =>
    `That workspace is in ${workspaceService}, but ${chosenService} is chosen above. Pick another workspace or change the service.`,
  candidatesHint: (name: string) => `Several workspaces match “${name}”: pick one.`,
  notLinked: (serviceLabel: string) => `🔗 ${serviceLabel}: connect your account first (bot’s Home tab)`,
  /** The menu's one entry for someone who may not invite; Slack shows at most 75 characters. */
  refused: {
    guest: () => '⛔ Guests cannot invite people to workspaces',
    bot: () => '⛔ Bots and apps cannot invite people',
    deleted: () => '⛔ This Slack account is deactivated',
    external: () => '⛔ Only members of this organisation can invite people',
    not_allowed: () => '⛔ You are not on the list of people allowed to invite',
    lookup_failed: () => '⚠ Could not check whether you may invite: try again',
  },
} as const;

/** Whose move it is after a failure, in a few words, so people know whom to ask. */
export function faultLabel(kind: OutcomeError['kind'], sender: Sender = 'bot'): string {
  switch (kind) {
    case 'invalid_request':
      return 'Refused by the service';
    case 'authentication':
      return sender === 'you' ? 'Your account needs reconnecting' : 'Bot credentials rejected (ask the bot’s administrator)';
    case 'permission':
      return sender === 'you' ? 'Your account lacks permission' : 'The bot’s account lacks permission';
    case 'not_found':
      return 'Workspace not found';
    case 'rate_limited':
      return 'Service busy';
    case 'unavailable':
    case 'server_error':
    case 'unexpected_response':
    case 'connection':
    case 'no_answer':
      return 'Service problem';
    case 'not_checked':
      return 'Service problem';
    case 'internal':
    case 'interrupted':
      return 'Bot problem';
    case 'denied':
    case 'expired':
      return 'Not approved';
  }
}

/** Who a request is (or was) sent as, in a few words: the accepted message and the channel summary. */
export const identityText = {
  acceptedAsYou: (serviceLabel: string, nameMrkdwn: string | undefined) =>
    `Sent as you${nameMrkdwn ? ` (${nameMrkdwn})` : ''}, with your own ${serviceLabel} account.`,
  acceptedAsBot: (serviceLabel: string) => `Sent with the bot's shared ${serviceLabel} account (you have not connected your own).`,
  summaryAsPerson: (serviceLabel: string, nameMrkdwn: string | undefined) =>
    `Sent with ${nameMrkdwn ? `${nameMrkdwn}’s` : 'the requester’s'} own ${serviceLabel} account`,
  summaryAsBot: (serviceLabel: string) => `Sent with the bot’s shared ${serviceLabel} account`,
  summaryAwaitingLink: (inviterMrkdwn: string, serviceLabel: string) =>
    `:warning: On hold until ${inviterMrkdwn} reconnects their ${serviceLabel} account`,
} as const;

/** Asking people to connect (or reconnect) their own account, and telling them it worked. */
export const linkText = {
  connectButton: (serviceLabel: string) => `Connect ${serviceLabel}`,
  reconnectButton: (serviceLabel: string) => `Reconnect ${serviceLabel}`,
  /** The answer to a request from someone who has not linked the service yet; it waits for them. */
  connectToSend: (serviceLabel: string) =>
    `:link: Invitations through ${serviceLabel} go out with your own ${serviceLabel} account, so connect it first. Your request is kept for 10 minutes and sent as soon as you are connected: nothing was sent yet.`,
  reconnectToSend: (serviceLabel: string) =>
    `:warning: Your ${serviceLabel} connection no longer works (it was revoked or has expired). Reconnect it to send this request: it is kept for 10 minutes, and nothing was sent yet.`,
  /** Several services could hold the workspace named, and none can be searched yet. */
  connectToSearch: (serviceLabels: readonly string[]) =>
    `:link: Connect your own ${serviceLabels.join(' or ')} account first: workspaces are searched, and invitations sent, as you. Your request is kept for 10 minutes and continues once you are connected.`,
  /** The form cannot open for someone who may use no service yet. */
  connectForForm: (serviceLabels: readonly string[]) =>
    `:link: Connect your own ${serviceLabels.join(' or ')} account to invite people: invitations then go out as you, with your own permissions. Then run \`/invite\` again.`,
  /** Sent while a request is already under way: the service refused the person's account. */
  heldForReconnect: (serviceLabel: string, workspaceMrkdwn: string, ref: string) =>
    `:warning: ${serviceLabel} no longer accepts your connected account, so your invitations to ${workspaceMrkdwn} are on hold: nothing more was sent. Reconnect it and they go out at once (they are kept for a day). (ref ${ref})`,
  /** Told in Slack once the browser round trip is done. */
  connected: (serviceLabel: string, nameMrkdwn: string) =>
    `:white_check_mark: Your ${serviceLabel} account is connected: ${nameMrkdwn}. Invitations you make through ${serviceLabel} now go out as you.`,
  resumedHeld: (count: number, serviceLabel: string) =>
    `:arrow_forward: ${count === 1 ? 'Your request on hold is' : `Your ${count} requests on hold are`} on its way again, sent with your ${serviceLabel} account.`,
  disconnected: (serviceLabel: string) => `Your ${serviceLabel} account is disconnected and its token deleted.`,
} as const;

/**
 * The bot's own pages in the browser, around the services' sign-in: plain text (the page escapes it).
 * Each has a title, a heading and what to do next; none asks anything of the person but to go back to Slack.
 */
export const pageText = {
  connected: (serviceLabel: string, name: string) => ({
    title: `Connected to ${serviceLabel}`,
    heading: `Connected to ${serviceLabel}`,
    lines: [`Connected as ${name} in ${serviceLabel}.`],
  }),
  invitationOnItsWay: () => 'Your invitation is on its way; you can close this tab.',
  invitationAnswered: () => 'What happened to your invitation is in Slack; you can close this tab.',
  nothingPending: (serviceLabel: string) => `Invitations you make through ${serviceLabel} now go out as you. You can close this tab.`,
  denied: (serviceLabel: string) => ({
    title: `${serviceLabel} was not connected`,
    heading: 'Access was not allowed',
    lines: [`${serviceLabel} was not connected, because access was not allowed on its sign-in page. Nothing was sent.`, 'To try again, use the Connect button in Slack.'],
  }),
  expired: (serviceLabel: string) => ({
    title: 'This link has expired',
    heading: 'This link has expired',
    lines: [`Links to connect ${serviceLabel} work for 10 minutes. Nothing was sent.`, 'Run /invite again, or open the bot’s Home tab in Slack, for a new one.'],
  }),
  used: (serviceLabel: string) => ({
    title: 'This link was already used',
    heading: 'This link was already used',
    lines: [`Each link to connect ${serviceLabel} works once. Nothing more was done.`, 'Run /invite again, or open the bot’s Home tab in Slack, for a new one.'],
  }),
  unknown: () => ({
    title: 'This link is not valid',
    heading: 'This link is not valid',
    lines: ['The bot does not know this link: it may be incomplete, or from an older message. Nothing was sent.', 'Use the Connect button in Slack, or the bot’s Home tab.'],
  }),
  wrongState: (serviceLabel: string) => ({
    title: 'This sign-in could not be matched',
    heading: 'This sign-in could not be matched',
    lines: [
      `The answer from ${serviceLabel} does not belong to a sign-in started in this browser, so it was not used. Nothing was sent.`,
      'Start again from the Connect button in Slack, in the same browser.',
    ],
  }),
  signInExpired: (serviceLabel: string) => ({
    title: 'The sign-in took too long',
    heading: 'The sign-in took too long',
    lines: [`Signing in to ${serviceLabel} must be finished within 10 minutes. Nothing was sent.`, 'Start again from the Connect button in Slack.'],
  }),
  serviceError: (serviceLabel: string, detail: string) => ({
    title: `${serviceLabel} could not be connected`,
    heading: `${serviceLabel} could not be connected`,
    lines: [`${serviceLabel} did not complete the connection (${detail}). Nothing was sent.`, 'Try again in a few minutes from the Connect button in Slack. If it keeps failing, tell the bot’s administrator.'],
  }),
  misconfigured: (serviceLabel: string, detail: string) => ({
    title: `${serviceLabel} could not be connected`,
    heading: `${serviceLabel} could not be connected`,
    lines: [`${serviceLabel} refused the bot’s sign-in application (${detail}). Nothing was sent.`, 'The bot’s administrator needs to check its OAuth application settings.'],
  }),
  footer: () => 'Invite Bot for Slack',
} as const;

/** The bot's Home tab. */
export const homeText = {
  title: 'Invite Bot',
  intro: () => 'Invite people into Kantata OX and Huddle workspaces with `/invite` in any channel.',
  accountsHeading: 'Your accounts',
  linked: (serviceLabel: string, nameMrkdwn: string, sinceMrkdwn: string) => `*${serviceLabel}*: connected as ${nameMrkdwn} since ${sinceMrkdwn}. Invitations go out as you.`,
  broken: (serviceLabel: string, nameMrkdwn: string) => `*${serviceLabel}*: :warning: the connection as ${nameMrkdwn} no longer works (revoked or expired). Reconnect to invite through it.`,
  unlinkedShared: (serviceLabel: string) => `*${serviceLabel}*: not connected. Invitations go out with the bot’s shared account until you connect your own.`,
  unlinkedRequired: (serviceLabel: string) => `*${serviceLabel}*: not connected. Connect your account to invite people through ${serviceLabel}.`,
  sharedOnly: (serviceLabel: string) => `*${serviceLabel}*: invitations go out with the bot’s shared account.`,
  connectLinkNote: () => 'Connect links work for 10 minutes: reopen this tab for a fresh one.',
  disconnectButton: 'Disconnect',
  disconnectConfirmTitle: 'Disconnect?',
  disconnectConfirmText: (serviceLabel: string) => `Your ${serviceLabel} token is deleted. Invitations through ${serviceLabel} will need your account connected again.`,
  disconnectConfirm: 'Disconnect',
  cancel: 'Cancel',
  mineHeading: 'Your last invitations',
  noneYet: () => 'None yet. Type `/invite` in a channel to start.',
  everyoneHeading: 'Everyone’s last requests (admin)',
  checksHeading: 'Checks (admin)',
  pendingHeading: 'Pending (admin)',
  nothingPending: () => 'Nothing pending: every request is finished and reported.',
  checkLine: (icon: string, partMrkdwn: string, status: string, detailMrkdwn: string) => `${icon} *${partMrkdwn}*: ${status} — ${detailMrkdwn}`,
  linksLine: (serviceLabel: string, active: number, broken: number) => `*${serviceLabel}*: ${active} connected account${active === 1 ? '' : 's'}${broken > 0 ? `, ${broken} needing a reconnect` : ''}`,
  requestLine: (iconsCounts: string, serviceLabel: string, workspaceMrkdwn: string, whenMrkdwn: string, ref: string) =>
    `${iconsCounts} · ${serviceLabel} ${workspaceMrkdwn} · ${whenMrkdwn} · \`${ref}\``,
  asPerson: (nameMrkdwn: string) => `as ${nameMrkdwn}`,
  asBot: () => 'shared account',
  onHold: () => ':warning: on hold: reconnect',
  more: (count: number) => `…and ${count} more`,
} as const;

export const modalText = {
  title: 'Invite people',
  connectTitle: 'Connect your account',
  connectClose: 'Close',
  submit: 'Invite',
  close: 'Cancel',
  serviceLabel: 'Service',
  serviceHint: 'Narrows the workspace search below.',
  workspaceLabel: 'Workspace',
  workspacePlaceholder: 'Type part of its name, or its id',
  workspaceHint: 'Only workspaces the bot may invite people to are listed.',
  workspaceHintLinked: 'Only workspaces you may invite people to are listed.',
  peopleLabel: 'People to invite',
  peoplePlaceholder: '"Bob Smith" <bob@acme.com>, ann@acme.com',
  peopleHint: 'E-mail addresses, with names for Kantata OX: "Full Name" <address>. Separate with commas.',
  colleaguesLabel: 'Colleagues from Slack',
  colleaguesPlaceholder: 'Pick people',
  roleLabel: 'Role',
  roleHint: 'Kantata OX only.',
  subjectLabel: 'E-mail subject',
  subjectHint: 'Kantata OX only. Leave empty for the default subject.',
  messageLabel: 'Personal message',
  messagePlaceholder: 'Added to the invitation e-mail',
  againLabel: 'Already invited?',
  againOption: 'Invite again even if invited in the last few minutes',
  atLeastOnePerson: 'Add at least one e-mail address here, or pick colleagues below.',
  notAddresses: (pieces: readonly string[]) => `Not e-mail addresses: ${list(pieces.map((piece) => quoted(piece)))}.`,
  notPeople: (names: readonly string[]) => `Channels, groups and broadcasts cannot be invited: ${list(names)}.`,
} as const;

export const doctorText = {
  notConfigured: () => 'not configured',
  linkingOnly: () => 'no shared account to check: people use their own linked accounts only',
  slackOk: (bot: string, team: string, scopeCount: number) => `bot @${bot} in ${team}; all ${scopeCount} scopes of manifest.yml granted`,
  slackMissingScopes: (bot: string, team: string, missing: readonly string[]) =>
    `bot @${bot} in ${team}, but these scopes of manifest.yml are not granted: ${missing.join(', ')}. Reinstall the app.`,
  slackScopesUnreadable: (bot: string, team: string) =>
    `bot @${bot} in ${team}; scopes could not be read (Slack sent no x-oauth-scopes header), so they were not compared with manifest.yml`,
  slackRejected: (code: string) => `Slack refused SLACK_BOT_TOKEN (${code})`,
  noServiceConfigured: () =>
    'none is configured, so the bot will not start: set KANTATA_API_TOKEN for Kantata OX, and/or HUDDLE_API_TOKEN, ' +
    'HUDDLE_CLIENT_ID + HUDDLE_CLIENT_SECRET, or HUDDLE_USERNAME + HUDDLE_PASSWORD for Huddle',
  kantataOk: (name: string | undefined, id: string) => `the token acts as ${name ?? 'user'} (user ${id})`,
  huddleOk: (count: number, form: string) => `${form} work; the account sees ${count} workspace${count === 1 ? '' : 's'}`,
  huddleForms: { bearer: 'HUDDLE_API_TOKEN', client_credentials: 'client credentials', basic: 'username and password' } as const,
} as const;

/** What operators read about the Socket Mode connection: readiness reasons (`/readyz`) and its loudest log lines. */
export const socketModeText = {
  notConnected: () => 'Socket Mode is not connected to Slack (reconnecting)',
  disabled: () =>
    'Socket Mode is disabled for this app in its settings (api.slack.com/apps → your app → Socket Mode), so Slack sends the bot nothing; restart the bot after turning it back on',
  tokenRejected: (code: string) =>
    `Slack refused SLACK_APP_TOKEN when opening a Socket Mode connection (${code}); give the bot a valid app-level token with the connections:write scope and restart it`,
  stopped: () => 'Socket Mode is stopped',
} as const;

/** What `npm run cli` prints for operators. */
export const cliText = {
  usage: () =>
    [
      'usage: npm run cli -- <command>',
      '  doctor              check the credentials for Slack, Kantata OX and Huddle',
      '  show <ref>          one request (the reference people see in Slack) and each invitee',
      '  pending             requests not yet finished or not yet reported in Slack',
      '  copy-to <url>       copy the SQLite ledger into an empty PostgreSQL database (stop the bot first)',
    ].join('\n'),
  notFound: (ref: string) => `No request ${ref} in the ledger (it may be older than INVITE_HISTORY_DAYS).`,
  nothingPending: () => 'Nothing pending: every request is finished and reported.',
  copyNeedsSqlite: () => 'copy-to moves the SQLite ledger: unset DATABASE_URL so the configuration points at the SQLite file (DATA_DIR).',
  copyNeedsPostgres: () => 'copy-to needs a postgres:// URL to copy into.',
  copied: (requests: number, invitees: number, links = 0) =>
    `Copied ${requests} requests and ${invitees} invitees${links > 0 ? `, and ${links} linked accounts (still sealed: keep TOKEN_ENCRYPTION_KEY)` : ''}. Set DATABASE_URL to the new database and start the bot.`,
} as const;

/** Why approvers must decide first, in a few words. */
const APPROVAL_REASONS = {
  external: 'it invites people from outside the company',
  client: 'it invites people to a client team',
  all: 'every invitation needs approval here',
} as const;

/** What approvers and requesters read about approvals. Arguments ending in Mrkdwn are escaped already. */
export const approvalText = {
  /** The requester's answer right after asking. */
  awaiting: (count: number, serviceLabel: string, workspaceMrkdwn: string, reason: keyof typeof APPROVAL_REASONS, approversMrkdwn: string, expiresMrkdwn: string) =>
    `:hourglass_flowing_sand: Your request to invite ${people(count)} to ${serviceLabel} workspace ${workspaceMrkdwn} needs approval, because ${APPROVAL_REASONS[reason]}. I asked ${approversMrkdwn}; I will tell you when they decide. Nothing is sent before then, and the request expires ${expiresMrkdwn}.`,
  approversInChannel: (channelMrkdwn: string) => `the approvers in ${channelMrkdwn}`,
  /** The question approvers get. */
  question: (requesterMrkdwn: string, count: number, serviceLabel: string, workspaceMrkdwn: string, roleLabelText: string | undefined) =>
    `:raising_hand: ${requesterMrkdwn} asks to invite ${people(count)} to ${serviceLabel} workspace ${workspaceMrkdwn}${roleLabelText ? ` as *${roleLabelText}*` : ''}.`,
  questionNotification: (count: number, serviceLabel: string) => `An invitation of ${people(count)} to ${serviceLabel} needs your approval`,
  reason: (reason: keyof typeof APPROVAL_REASONS) => `Needs approval because ${APPROVAL_REASONS[reason]}.`,
  personalMessage: (messageMrkdwn: string) => `Personal message: “${messageMrkdwn}”`,
  askedApprovers: (approversMrkdwn: string) => `Approvers: ${approversMrkdwn}.`,
  footer: (expiresMrkdwn: string, ref: string) => `Expires ${expiresMrkdwn} · ref ${ref}`,
  approve: 'Approve',
  deny: 'Deny',
  /** The channel summary's headline for a request that was never sent. */
  summaryDenied: (approverMrkdwn: string, inviterMrkdwn: string, count: number, serviceLabel: string, workspaceMrkdwn: string) =>
    `:no_entry: ${approverMrkdwn} denied ${inviterMrkdwn}’s request to invite ${people(count)} to ${serviceLabel} workspace ${workspaceMrkdwn}; nothing was sent.`,
  summaryExpired: (inviterMrkdwn: string, count: number, serviceLabel: string, workspaceMrkdwn: string) =>
    `:hourglass: ${inviterMrkdwn}’s request to invite ${people(count)} to ${serviceLabel} workspace ${workspaceMrkdwn} expired without a decision; nothing was sent.`,
  /** What replaces the buttons once decided. */
  decidedApproved: (approverMrkdwn: string, atMrkdwn: string) => `:white_check_mark: Approved by ${approverMrkdwn} ${atMrkdwn}.`,
  decidedDenied: (approverMrkdwn: string, atMrkdwn: string, reasonMrkdwn: string | undefined) =>
    `:no_entry: Denied by ${approverMrkdwn} ${atMrkdwn}${reasonMrkdwn ? `: “${reasonMrkdwn}”` : ''}.`,
  decidedExpired: (atMrkdwn: string) => `:hourglass: Expired ${atMrkdwn}: nobody decided in time.`,
  /** The requester's direct message once decided. */
  toRequesterApproved: (approverMrkdwn: string, count: number, workspaceMrkdwn: string, channelMrkdwn: string, ref: string) =>
    `:white_check_mark: ${approverMrkdwn} approved your request to invite ${people(count)} to ${workspaceMrkdwn}. Sending now; the result will be posted in ${channelMrkdwn}. (ref ${ref})`,
  toRequesterDenied: (approverMrkdwn: string, count: number, workspaceMrkdwn: string, reasonMrkdwn: string | undefined, ref: string) =>
    `:no_entry: ${approverMrkdwn} denied your request to invite ${people(count)} to ${workspaceMrkdwn}${reasonMrkdwn ? `: “${reasonMrkdwn}”` : ''}. Nothing was sent. (ref ${ref})`,
  toRequesterExpired: (count: number, workspaceMrkdwn: string, hours: number, ref: string) =>
    `:hourglass: Your request to invite ${people(count)} to ${workspaceMrkdwn} expired after ${hours === 1 ? '1 hour' : `${hours} hours`} without a decision. Nothing was sent; ask again if it is still needed. (ref ${ref})`,
  /** Answers to the person who clicked, seen only by them. */
  notAnApprover: () => 'Only the approvers set for this bot (INVITE_APPROVERS) can decide on invitation requests.',
  ownRequest: () => 'This is your own request, so another approver has to approve it.',
  alreadyDecided: (outcomeText: string) => `This request was already decided: ${outcomeText}`,
  notFound: (ref: string) => `There is no request ${ref} any more (it may be older than the history the bot keeps).`,
  decisionFailed: (ref: string) => `Your decision could not be recorded just now (the bot's store is unavailable). Please try again. (ref ${ref})`,
  denyModalTitle: 'Deny the request',
  denyModalSubmit: 'Deny',
  denyModalClose: 'Cancel',
  denyModalIntro: (requesterMrkdwn: string, count: number, workspaceMrkdwn: string) => `${requesterMrkdwn} asked to invite ${people(count)} to ${workspaceMrkdwn}. Nothing will be sent.`,
  denyReasonLabel: 'Reason (optional)',
  denyReasonHint: 'The requester sees this.',
} as const;

/** What people read about retrying from the thread. */
export const retryText = {
  retryButton: 'Retry',
  checkAndRetryButton: 'Check and retry',
  /** Under the reply: what the button does. */
  retryHint: (requesterMrkdwn: string) => `${requesterMrkdwn} (or an admin) can send these again.`,
  checkAndRetryHint: (requesterMrkdwn: string) =>
    `${requesterMrkdwn} (or an admin) can check who is on the project now and send again only to the others.`,
  queued: (count: number, ref: string) => `Sending ${people(count)} again; the summary above will update. (ref ${ref})`,
  queuedSkipped: (count: number, skipped: number, ref: string) =>
    `Sending ${people(count)} again (${people(skipped)} invited meanwhile by someone else, so skipped); the summary above will update. (ref ${ref})`,
  nothing: (ref: string) => `Nothing to retry: these were sent or retried already. (ref ${ref})`,
  notYours: (requesterMrkdwn: string) => `Only ${requesterMrkdwn} or an admin (INVITE_ADMINS) can retry this.`,
  failed: (ref: string) => `The retry could not be recorded just now (the bot's store is unavailable). Please try again. (ref ${ref})`,
} as const;
