/**
 * Parses `/invite` text as Slack delivers it, escaped (`should_escape: true`) or as typed:
 * `<people> to <service>:<workspace-id or "name"> [as <role>] [-- <message>]`.
 * Pure: resolving mentions and checking the result are someone else's job.
 */

export type ParsedPerson =
  | { readonly kind: 'address'; readonly email: string; readonly fullName?: string }
  | { readonly kind: 'mention'; readonly userId: string };

export interface ParsedInvite {
  readonly people: readonly ParsedPerson[];
  /** Pieces that are neither an address nor a name with an address, as the person wrote them. */
  readonly unparseable: readonly string[];
  /** Channels, user groups and @here/@channel: things that cannot be invited. */
  readonly notPeople: readonly string[];
  readonly service?: string;
  /** A workspace given by number. */
  readonly workspaceId?: string;
  /** A workspace given by name (`to "Acme Rollout"`), to be looked up. */
  readonly workspaceName?: string;
  readonly role?: string;
  readonly message?: string;
  /** `--again`: invite even those invited to the same workspace a few minutes ago. */
  readonly again: boolean;
}

export type ParsedCommand =
  | { readonly kind: 'empty' }
  | { readonly kind: 'help' }
  | { readonly kind: 'invite'; readonly invite: ParsedInvite };

const MENTION_START = '\uE000';
const MENTION_END = '\uE001';
const SENTINELS = /[\uE000\uE001]/g;

const AGAIN_FLAG = /(^|\s)(--|—|–)again(?=\s|$)/i;
const AGAIN_FLAG_ALL = new RegExp(AGAIN_FLAG.source, 'gi');

const OPENING_QUOTES: Readonly<Record<string, string>> = { '"': '"', '“': '”', '„': '“', '«': '»', '”': '”' };

export function parseInviteCommand(rawText: string): ParsedCommand {
  const trimmed = rawText.trim();
  if (trimmed === '') return { kind: 'empty' };
  if (/^(help|\?|-h|--help)$/i.test(trimmed)) return { kind: 'help' };
  return { kind: 'invite', invite: parseInvite(trimmed) };
}

function parseInvite(rawText: string): ParsedInvite {
  const notPeople: string[] = [];
  const mentions: string[] = [];
  const { head: rawHead, message: rawMessage } = splitMessage(rawText.replace(SENTINELS, ''));
  const headWithFlags = decodeEntities(replaceSlackTokens(rawHead, mentions, setAsideIn(notPeople)));
  const message = rawMessage === undefined ? undefined : messageText(rawMessage);
  const again = AGAIN_FLAG.test(headWithFlags);
  const { peopleText, service, workspaceId, workspaceName, role } = splitTarget(headWithFlags.replace(AGAIN_FLAG_ALL, ' '));
  const { people, unparseable } = parsePeople(peopleText, mentions);
  return {
    people,
    unparseable,
    notPeople,
    again,
    ...(service !== undefined ? { service } : {}),
    ...(workspaceId !== undefined ? { workspaceId } : {}),
    ...(workspaceName !== undefined ? { workspaceName } : {}),
    ...(role !== undefined ? { role } : {}),
    ...(message !== undefined ? { message } : {}),
  };
}

/**
 * The personal message is text for an e-mail, not people to invite: a broadcast, a user group or a
 * channel in it is written out by name (`@here`, `#general`), and nothing in it is refused.
 */
function messageText(rawMessage: string): string {
  const mentions: string[] = [];
  return restoreMentions(decodeEntities(replaceSlackTokens(rawMessage, mentions, (name) => name)), mentions);
}

/** Channels, user groups and broadcasts in the people part: set aside, to be reported. */
function setAsideIn(notPeople: string[]): (name: string) => string {
  return (name) => {
    notPeople.push(name);
    return ' ';
  };
}

/**
 * Slack's own `<...>` controls come first: mentions become placeholders, mailto links their address,
 * other links their label, and channels or broadcasts become whatever `special` makes of their name.
 * What a person typed as `<` or `>` arrives as an entity and is decoded only afterwards.
 */
function replaceSlackTokens(text: string, mentions: string[], special: (name: string) => string): string {
  return text.replace(/<([^<>\s][^<>]*)>/g, (whole, inner: string) => {
    const [target = '', label] = splitOnce(inner, '|');
    if (target.startsWith('@')) {
      const userId = target.slice(1);
      if (!/^[UW][A-Z0-9]+$/.test(userId)) return whole;
      mentions.push(userId);
      return `${MENTION_START}${mentions.length - 1}${MENTION_END}`;
    }
    if (target.startsWith('#') || target.startsWith('!')) return special(describeSpecial(target, label));
    if (/^mailto:/i.test(target)) return safeDecodeUri(target.slice(7).split('?')[0] ?? '');
    if (/^https?:\/\//i.test(target)) return label ?? target;
    return whole;
  });
}

function describeSpecial(target: string, label: string | undefined): string {
  if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
  const name = target.slice(1).split('^')[0] ?? '';
  if (name === 'subteam') return `@${label?.replace(/^@/, '') ?? 'user group'}`;
  return `@${label?.replace(/^@/, '') ?? name}`;
}

function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function restoreMentions(text: string, mentions: readonly string[]): string {
  return text.replace(new RegExp(`${MENTION_START}(\\d+)${MENTION_END}`, 'g'), (_, index: string) => `<@${mentions[Number(index)] ?? ''}>`);
}

/**
 * The message follows ` -- ` (or the dash a client made of it), looked for outside Slack's `<...>` tokens
 * so that a link's label cannot end the people part early.
 */
function splitMessage(text: string): { head: string; message?: string } {
  const outsideTokens = text.replace(/<[^<>]*>/g, (token) => 'x'.repeat(token.length));
  const separator = /(^|\s)(--|—|–)(\s|$)/.exec(outsideTokens);
  if (!separator) return { head: text };
  const head = text.slice(0, separator.index);
  const message = text.slice(separator.index + separator[0].length).trim();
  return message ? { head, message } : { head };
}

interface Target {
  readonly peopleText: string;
  readonly service?: string;
  readonly workspaceId?: string;
  readonly workspaceName?: string;
  readonly role?: string;
}

const ROLE_AT_END = /\s+as\s+(?:an?\s+)?([\p{L}_-]+)$/iu;
// A name may be quoted straight or curly, as clients turn `"` into “ ”.
const TARGET_AT_END = /(?:^|\s+)to\s+(?:(\p{L}[\p{L}\d_-]*)\s*:\s*|(kantata|huddle)\s+)?("[^"]*"|“[^”"]*[”"]|„[^“"]*[“"]|[^\s"“”„]+)$/iu;

/** Takes `to <target>` and `as <role>` off the end; the role may stand before or after the target. */
function splitTarget(head: string): Target {
  let rest = head.trimEnd();
  let role: string | undefined;
  const takeRole = () => {
    const match = role === undefined ? ROLE_AT_END.exec(rest) : null;
    if (match) {
      role = match[1];
      rest = rest.slice(0, match.index);
    }
  };
  takeRole();
  const target = TARGET_AT_END.exec(rest);
  if (!target) return { peopleText: rest, ...(role !== undefined ? { role } : {}) };
  rest = rest.slice(0, target.index);
  takeRole();
  const service = target[1] ?? target[2];
  const where = (target[3] ?? '').replace(/^["“„]|["”“]$/g, '').replace(/\s+/g, ' ').trim();
  // `to kantata` names only the service; a number is a workspace id; other words are its name.
  const serviceOnly = service === undefined && /^(kantata|huddle)$/i.test(where);
  const byId = /^\d+$/.test(where);
  return {
    peopleText: rest,
    ...(role !== undefined ? { role } : {}),
    ...(serviceOnly ? { service: where } : {}),
    ...(service !== undefined ? { service } : {}),
    ...(!serviceOnly && byId ? { workspaceId: where } : {}),
    ...(!serviceOnly && !byId && where !== '' ? { workspaceName: where } : {}),
  };
}

/**
 * People are separated by commas, semicolons or spaces. Each is an address, a name (quoted or not)
 * followed by `<address>`, or a mention. Words without an address are reported, never guessed at.
 */
function parsePeople(text: string, mentions: readonly string[]): { people: ParsedPerson[]; unparseable: string[] } {
  const people: ParsedPerson[] = [];
  const unparseable: string[] = [];
  let pendingName: string[] = [];
  const flushName = () => {
    if (pendingName.length > 0) unparseable.push(pendingName.join(' '));
    pendingName = [];
  };
  let i = 0;
  while (i < text.length) {
    const char = text[i] ?? '';
    if (/[\s]/.test(char)) {
      i += 1;
    } else if (char === ',' || char === ';') {
      flushName();
      i += 1;
    } else if (char === MENTION_START) {
      flushName();
      const end = text.indexOf(MENTION_END, i);
      people.push({ kind: 'mention', userId: mentions[Number(text.slice(i + 1, end))] ?? '' });
      i = end + 1;
    } else if (char in OPENING_QUOTES) {
      const close = OPENING_QUOTES[char] ?? '"';
      const end = findClosingQuote(text, i + 1, close);
      flushName();
      pendingName = [text.slice(i + 1, end === -1 ? text.length : end).trim()];
      i = end === -1 ? text.length : end + 1;
    } else if (char === '<') {
      const end = text.indexOf('>', i);
      const address = text.slice(i + 1, end === -1 ? text.length : end).trim();
      const fullName = pendingName.join(' ').trim();
      pendingName = [];
      people.push({ kind: 'address', email: address, ...(fullName ? { fullName } : {}) });
      i = end === -1 ? text.length : end + 1;
    } else {
      const word = /^[^\s,;<"“”„«\uE000]+/.exec(text.slice(i))?.[0] ?? char;
      i += word.length;
      if (word.includes('@')) {
        flushName();
        people.push({ kind: 'address', email: word });
      } else {
        pendingName.push(word);
      }
    }
  }
  flushName();
  return { people, unparseable: unparseable.filter((piece) => piece.length > 0) };
}

function findClosingQuote(text: string, from: number, close: string): number {
  for (let i = from; i < text.length; i += 1) {
    const char = text[i];
    if (char === close || char === '"' || char === '”' || char === '»') return i;
  }
  return -1;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index === -1 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

function safeDecodeUri(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Reads a free-text list of people (the modal's field), with the same forms as the inline command. */
export function parsePeopleList(rawText: string): Pick<ParsedInvite, 'people' | 'unparseable' | 'notPeople'> {
  const notPeople: string[] = [];
  const mentions: string[] = [];
  const plain = decodeEntities(replaceSlackTokens(rawText.replace(SENTINELS, ''), mentions, setAsideIn(notPeople)));
  return { ...parsePeople(plain, mentions), notPeople };
}

/** Writes people back in the inline syntax, to prefill the modal's free-text field. */
export function formatPeople(people: readonly ParsedPerson[]): string {
  return people
    .flatMap((person) =>
      person.kind === 'address' ? [person.fullName ? `"${person.fullName.replace(/"/g, "'")}" <${person.email}>` : person.email] : [],
    )
    .join(', ');
}
