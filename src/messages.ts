/**
 * Every text a person can read comes from here, so wording is reviewed in one place.
 * Texts are plain: whoever renders them for Slack escapes them for mrkdwn.
 */
import type { OutcomeError, ProblemOutcome } from './invitations/outcome.js';
import type { ServiceName } from './invitations/request.js';
import { SERVICE_LABELS } from './providers/errors.js';

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

/** Why one invitation did not go through, in the words a person needs to act on it. */
export function failureText(service: ServiceName, workspaceId: string, outcome: ProblemOutcome): string {
  const label = SERVICE_LABELS[service];
  const { error } = outcome;
  switch (error.kind) {
    case 'invalid_request':
      return `${label} refused the invitation${httpStatus(error)}${said(error)}.`;
    case 'authentication':
      return `${label} did not accept the bot's credentials${httpStatus(error)}${said(error)}. An administrator needs to check the bot's ${label} credentials.`;
    case 'permission':
      return `The bot's ${label} account is not allowed to invite people to workspace ${workspaceId}${httpStatus(error)}${said(error)}. A workspace manager can grant that, or invite from ${label} directly.`;
    case 'not_found':
      return `${label} has no workspace ${workspaceId} that the bot's account can see${httpStatus(error)}${said(error)}. Check the id.`;
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
  }
}

// ---------------------------------------------------------------------------------------------------
// Slack wording. Functions here take already-escaped mrkdwn where they say `Mrkdwn`, and escape nothing
// themselves: src/slack/render.ts escapes user text before it reaches them.

export const ROLE_LABELS = { maven: 'Team member (maven)', buyer: 'Client (buyer)' } as const;

export const USAGE_EXAMPLE = '/invite "Bob Smith" <bob@acme.com>, ann@acme.com to kantata:12345 as buyer -- Welcome aboard';

export function helpText(services: readonly ServiceName[]): string {
  const kantata = services.includes('kantata');
  const huddle = services.includes('huddle');
  return [
    '*Invite people to a workspace*',
    '`/invite` on its own opens a form. Or write the whole request inline:',
    `\`${USAGE_EXAMPLE}\``,
    '• *People*: `bob@acme.com`, `Bob Smith <bob@acme.com>`, `"Bob Smith" <bob@acme.com>` or a colleague’s @mention, separated by commas or spaces.',
    `• *Where*: \`to ${kantata ? 'kantata' : 'huddle'}:<workspace id>\` or by name, \`to ${kantata ? 'kantata' : 'huddle'}:"Acme Rollout"\`${
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

export const slackText = {
  accepted: (count: number, serviceLabel: string, workspaceMrkdwn: string) =>
    `:hourglass_flowing_sand: Inviting ${count === 1 ? '1 person' : `${count} people`} to ${serviceLabel} workspace ${workspaceMrkdwn}… The result will be posted in this conversation.`,
  busy: (ref: string) =>
    `:warning: The bot is handling too many invitations right now, so nothing was sent. Please try again in a minute. (ref ${ref})`,
  shuttingDown: () => ':warning: The bot is restarting, so nothing was sent. Please try again in a minute.',
  problemsHeading: () => ':warning: Nothing was sent. Please fix this and try again:',
  unparseable: (piecesMrkdwn: readonly string[]) =>
    `${piecesMrkdwn.length === 1 ? 'This is not an e-mail address' : 'These are not e-mail addresses'}: ${list(piecesMrkdwn)}. Write people as \`name@company.com\` or \`"Full Name" <name@company.com>\`.`,
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
    `${inviterMrkdwn} invited ${count === 1 ? '1 person' : `${count} people`} to ${serviceLabel} workspace ${workspaceMrkdwn}${
      roleLabel ? ` as *${roleLabel}*` : ''
    }`,
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
  summaryMessageLine: (length: number) => `Personal message included (${length} characters).`,
  threadReply: (icon: string, whoMrkdwn: string, fault: string, detailMrkdwn: string, ref: string) =>
    `${icon} *${fault}*: ${whoMrkdwn}\n${detailMrkdwn}\n_ref ${ref}_`,
  fallbackIntro: (channelMrkdwn: string) =>
    `I could not post in ${channelMrkdwn}, so here is the result of your invitation:`,
  outcomeStatusIcon: { invited: ':white_check_mark:', failed: ':x:', unknown: ':grey_question:', skipped: ':fast_forward:' } as const,
  skippedLine: (whoMrkdwn: string, byMrkdwn: string, atMrkdwn: string) => `${whoMrkdwn}: already invited by ${byMrkdwn} at ${atMrkdwn}`,
  againHint: () => 'Skipped people were invited to this workspace a few minutes ago. To invite them anyway, add `--again` to the command (or tick “Invite again” in the form).',
  overBudget: (limit: number, windowMinutes: number, remaining: number, availableAtMrkdwn: string | undefined) =>
    `:warning: Nothing was sent: you can invite up to ${limit} people every ${windowMinutes} minutes${
      remaining > 0 ? `, and have ${remaining} left right now` : ''
    }. ${availableAtMrkdwn ? `Send fewer, or try again at ${availableAtMrkdwn}.` : 'Split the request into smaller ones.'}`,
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
  workspaceNotFound: (nameMrkdwn: string, serviceLabels: readonly string[], closestMrkdwn: readonly string[]) =>
    `No ${serviceLabels.join(' or ')} workspace that the bot can invite people to is called “${nameMrkdwn}”.${
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
} as const;

/** Whose move it is after a failure, in a few words, so people know whom to ask. */
export function faultLabel(kind: OutcomeError['kind']): string {
  switch (kind) {
    case 'invalid_request':
      return 'Refused by the service';
    case 'authentication':
      return 'Bot credentials rejected (ask the bot’s administrator)';
    case 'permission':
      return 'The bot’s account lacks permission';
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
    case 'internal':
      return 'Bot problem';
  }
}

export const modalText = {
  title: 'Invite people',
  submit: 'Invite',
  close: 'Cancel',
  serviceLabel: 'Service',
  serviceHint: 'Narrows the workspace search below.',
  workspaceLabel: 'Workspace',
  workspacePlaceholder: 'Type part of its name, or its id',
  workspaceHint: 'Only workspaces the bot may invite people to are listed.',
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
  slackOk: (bot: string, team: string, scopeCount: number) => `bot @${bot} in ${team}; all ${scopeCount} scopes of manifest.yml granted`,
  slackMissingScopes: (bot: string, team: string, missing: readonly string[]) =>
    `bot @${bot} in ${team}, but these scopes of manifest.yml are not granted: ${missing.join(', ')}. Reinstall the app.`,
  slackRejected: (code: string) => `Slack refused SLACK_BOT_TOKEN (${code})`,
  kantataOk: (name: string | undefined, id: string) => `the token acts as ${name ?? 'user'} (user ${id})`,
  huddleOk: (count: number, form: string) => `${form} work; the account sees ${count} workspace${count === 1 ? '' : 's'}`,
  huddleForms: { bearer: 'HUDDLE_API_TOKEN', client_credentials: 'client credentials', basic: 'username and password' } as const,
} as const;
