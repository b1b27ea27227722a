import { validationText, type EmailProblem } from '../messages.js';
import {
  hasUnresolved,
  SERVICE_NAMES,
  type InvitationDraft,
  type InvitationRequest,
  type Invitee,
  type KantataRole,
  type ServiceName,
} from './request.js';

export const LIMITS = {
  maxInvitees: 100,
  maxEmailLength: 254,
  maxLocalPartLength: 64,
  maxNameLength: 200,
  maxSubjectLength: 255,
  maxMessageLength: 5000,
  maxWorkspaceIdDigits: 18,
} as const;

export type DraftField = 'service' | 'workspaceId' | 'invitees' | 'role' | 'subject' | 'message';

/** One thing wrong with a draft, tied to the field a form would show it under. */
export interface ValidationProblem {
  readonly field: DraftField;
  readonly message: string;
  /** Something required was left out (rather than given wrong): a form can ask for it. */
  readonly missing?: true;
}

export type ValidationResult =
  | { readonly ok: true; readonly request: InvitationRequest }
  | { readonly ok: false; readonly problems: readonly ValidationProblem[] };

export interface ValidationContext {
  readonly enabledServices: readonly ServiceName[];
  readonly maxInvitees?: number;
  /** Kantata `maven` invitations only to these domains (and their subdomains), when any are given. */
  readonly internalDomains?: readonly string[];
  /** Never invited, whatever the role. */
  readonly blockedDomains?: readonly string[];
  /** Set where the channel may invite only to its own workspace. */
  readonly requiredWorkspace?: { readonly service: ServiceName; readonly workspaceId: string };
}

// C0/C1 controls, and the invisible formatting characters used to disguise text: bidi overrides and
// isolates, zero-width characters, the BOM.
const CONTROL_OR_INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;
const CONTROL_EXCEPT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

// RFC 5322 dot-atom characters for the part before the @.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const TOP_LEVEL_DOMAIN = /^([A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

/** Why an address cannot be sent, or undefined when it can. Deliberately stricter than RFC 5322. */
export function emailProblem(address: string): EmailProblem | undefined {
  if (address.length === 0) return 'empty';
  if (/\s/.test(address)) return 'whitespace';
  if (/[^\x20-\x7e]/.test(address)) return 'non_ascii';
  if (address.length > LIMITS.maxEmailLength) return 'too_long';
  if (address.startsWith('"')) return 'quoted_local_part';
  const at = address.lastIndexOf('@');
  if (at === -1) return 'no_at';
  if (address.indexOf('@') !== at) return 'several_at';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length === 0) return 'no_local_part';
  if (local.length > LIMITS.maxLocalPartLength) return 'local_part_too_long';
  if (!LOCAL_PART.test(local)) return 'bad_local_part';
  const labels = domain.split('.');
  const topLevel = labels.at(-1) ?? '';
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || !TOP_LEVEL_DOMAIN.test(topLevel)) {
    return 'bad_domain';
  }
  return undefined;
}

/** Lower-cases the domain only: the part before the @ is, strictly, case-sensitive. */
export function normaliseEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return at === -1 ? address : address.slice(0, at) + address.slice(at).toLowerCase();
}

function normaliseName(name: string | undefined): string | undefined {
  const collapsed = name?.replace(/[ \t]+/g, ' ').trim();
  return collapsed ? collapsed : undefined;
}

function optionalText(text: string | undefined): string | undefined {
  return text !== undefined && text.trim().length > 0 ? text.trim() : undefined;
}

/** Same address twice (in any letter case) is one invitee; a name given only on the second mention is kept. */
export function mergeDuplicateInvitees(invitees: readonly Invitee[]): Invitee[] {
  const byAddress = new Map<string, Invitee>();
  for (const invitee of invitees) {
    const key = invitee.email.toLowerCase();
    const seen = byAddress.get(key);
    if (!seen) byAddress.set(key, invitee);
    else if (!seen.fullName && invitee.fullName) byAddress.set(key, { ...seen, fullName: invitee.fullName });
  }
  return [...byAddress.values()];
}

/**
 * Checks a whole draft and reports every problem at once, each under its field. Only a complete draft
 * with no problem at all becomes an InvitationRequest: one bad address means nothing is sent. Parts still
 * unresolved (colleagues, a workspace name) are not reported missing: they are on their way, and
 * everything else can already be judged, so mistakes are told before any lookup.
 */
export function validateInvitationDraft(draft: InvitationDraft, context: ValidationContext): ValidationResult {
  const problems: ValidationProblem[] = [];
  const problem: Report = (field, message, missing) => problems.push({ field, message, ...(missing ? { missing } : {}) });
  const pendingWorkspace = draft.unresolved?.workspaceName !== undefined;
  const pendingColleagues = (draft.unresolved?.colleagueIds.length ?? 0) > 0;

  // A workspace found by name brings its service; colleagues bring their addresses.
  const service = checkService(draft.service, context.enabledServices, problem, pendingWorkspace);
  const workspaceId = checkWorkspaceId(draft.workspaceId, problem, pendingWorkspace);
  const invitees = checkInvitees(draft, service, context.maxInvitees ?? LIMITS.maxInvitees, problem, pendingColleagues);
  const role = checkRole(draft.role, service, problem);
  const subject = checkText('subject', draft.subject, LIMITS.maxSubjectLength, problem);
  const message = checkText('message', draft.message, LIMITS.maxMessageLength, problem);
  if (service === 'huddle' && subject !== undefined) problem('subject', validationText.subjectNotForHuddle());

  if (problems.length === 0 && service && workspaceId) {
    problems.push(...policyProblems(service, workspaceId, invitees, role, context));
  }
  if (problems.length > 0 || !service || !workspaceId || hasUnresolved(draft)) return { ok: false, problems };
  const common = {
    workspaceId,
    invitees,
    requestedBy: draft.requestedBy,
    ...(message !== undefined ? { message } : {}),
  };
  const request: InvitationRequest =
    service === 'kantata'
      ? { ...common, service, role: role as KantataRole, ...(subject !== undefined ? { subject } : {}) }
      : { ...common, service };
  return { ok: true, request };
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export function inDomains(address: string, domains: readonly string[]): boolean {
  const domain = domainOf(address);
  return domains.some((listed) => domain === listed || domain.endsWith(`.${listed}`));
}

/** The installation's rules, checked once the request itself is sound. */
function policyProblems(
  service: ServiceName,
  workspaceId: string,
  invitees: readonly Invitee[],
  role: KantataRole | undefined,
  context: ValidationContext,
): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const required = context.requiredWorkspace;
  if (required && (required.service !== service || required.workspaceId !== workspaceId)) {
    problems.push({ field: 'workspaceId', message: validationText.channelRestricted(required.service, required.workspaceId) });
  }
  const blocked = invitees.filter((invitee) => inDomains(invitee.email, context.blockedDomains ?? [])).map((i) => i.email);
  if (blocked.length > 0) problems.push({ field: 'invitees', message: validationText.blockedDomain(blocked) });
  const internal = context.internalDomains ?? [];
  if (service === 'kantata' && role === 'maven' && internal.length > 0) {
    const outsiders = invitees.filter((invitee) => !inDomains(invitee.email, internal) && !blocked.includes(invitee.email)).map((i) => i.email);
    if (outsiders.length > 0) problems.push({ field: 'role', message: validationText.mavenNotInternal(outsiders, internal) });
  }
  return problems;
}

type Report = (field: DraftField, message: string, missing?: true) => void;

function checkService(given: string | undefined, enabled: readonly ServiceName[], problem: Report, comingLater: boolean): ServiceName | undefined {
  const name = given?.trim().toLowerCase();
  if (!name) {
    if (enabled.length === 1) return enabled[0];
    if (!comingLater) problem('service', validationText.serviceMissing(enabled), true);
    return undefined;
  }
  if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
    problem('service', validationText.serviceUnknown(given ?? '', enabled));
    return undefined;
  }
  if (!enabled.includes(name as ServiceName)) {
    problem('service', validationText.serviceNotConfigured(name as ServiceName, enabled));
    return undefined;
  }
  return name as ServiceName;
}

function checkWorkspaceId(given: string | undefined, problem: Report, comingLater: boolean): string | undefined {
  const id = given?.trim();
  if (!id) {
    if (!comingLater) problem('workspaceId', validationText.workspaceMissing(), true);
    return undefined;
  }
  if (!new RegExp(`^[1-9][0-9]{0,${LIMITS.maxWorkspaceIdDigits - 1}}$`).test(id)) {
    problem('workspaceId', validationText.workspaceInvalid(id));
    return undefined;
  }
  return id;
}

function checkInvitees(
  draft: InvitationDraft,
  service: ServiceName | undefined,
  maxInvitees: number,
  problem: Report,
  colleaguesComing: boolean,
): Invitee[] {
  const cleaned = draft.invitees
    .map((invitee) => ({ email: invitee.email.trim(), fullName: normaliseName(invitee.fullName), rawName: invitee.fullName }))
    .filter((invitee) => invitee.email.length > 0 || invitee.fullName);
  if (cleaned.length === 0) {
    if (!colleaguesComing) problem('invitees', validationText.noInvitees(), true);
    return [];
  }
  const badAddresses = cleaned.flatMap(({ email, fullName }) => {
    const found = emailProblem(email);
    return found ? [{ address: email || (fullName ?? ''), problem: found }] : [];
  });
  if (badAddresses.length > 0) problem('invitees', validationText.invalidAddresses(badAddresses));

  const badNames = cleaned.filter(({ rawName }) => rawName !== undefined && CONTROL_OR_INVISIBLE.test(rawName.replace(/\t/g, ' ')));
  if (badNames.length > 0) problem('invitees', validationText.nameInvalid(badNames.map((i) => i.email)));
  const longNames = cleaned.filter(({ fullName }) => fullName !== undefined && [...fullName].length > LIMITS.maxNameLength);
  if (longNames.length > 0) problem('invitees', validationText.nameTooLong(longNames.map((i) => i.email), LIMITS.maxNameLength));

  const merged = mergeDuplicateInvitees(
    cleaned.map(({ email, fullName }) => ({ email: normaliseEmail(email), ...(fullName ? { fullName } : {}) })),
  );
  if (merged.length > maxInvitees) problem('invitees', validationText.tooManyInvitees(merged.length, maxInvitees));
  if (service === 'kantata' && badAddresses.length === 0) {
    const nameless = merged.filter((invitee) => !invitee.fullName).map((invitee) => invitee.email);
    if (nameless.length > 0) problem('invitees', validationText.namesMissing(nameless), true);
  }
  return merged;
}

const ROLE_ALIASES: Readonly<Record<string, KantataRole>> = {
  maven: 'maven',
  consultant: 'maven',
  team: 'maven',
  buyer: 'buyer',
  client: 'buyer',
};

/** Accepts the API's names and the words people use for them. */
export function parseRole(given: string): KantataRole | undefined {
  return ROLE_ALIASES[given.trim().toLowerCase()];
}

function checkRole(given: string | undefined, service: ServiceName | undefined, problem: Report): KantataRole | undefined {
  const text = given?.trim();
  if (service === 'huddle') {
    if (text) problem('role', validationText.roleNotForHuddle(text));
    return undefined;
  }
  if (!text) {
    if (service === 'kantata') problem('role', validationText.roleMissing(), true);
    return undefined;
  }
  const role = parseRole(text);
  if (!role) problem('role', validationText.roleInvalid(text));
  return role;
}

function checkText(
  field: 'subject' | 'message',
  given: string | undefined,
  max: number,
  problem: Report,
): string | undefined {
  const text = optionalText(given);
  if (text === undefined) return undefined;
  const length = [...text].length;
  if (length > max) problem(field, validationText.textTooLong(field, length, max));
  const disallowed = field === 'subject' ? CONTROL_OR_INVISIBLE : CONTROL_EXCEPT_LINE_BREAKS;
  if (field === 'subject' && /[\r\n]/.test(text)) problem(field, validationText.subjectMultiline());
  else if (disallowed.test(text.replace(/\t/g, ' '))) problem(field, validationText.textHasControlCharacters(field));
  return text;
}
