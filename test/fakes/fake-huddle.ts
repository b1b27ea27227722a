import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { bearerToken, FakeServer, SlidingWindowLimiter, type FakeResponse, type RecordedRequest } from './fake-server.js';

export const NS = {
  dtos: 'http://schemas.datacontract.org/2004/07/Huddle.Client.Dtos',
  instance: 'http://www.w3.org/2001/XMLSchema-instance',
  arrays: 'http://schemas.microsoft.com/2003/10/Serialization/Arrays',
  client: 'http://schemas.datacontract.org/2004/07/Huddle.Client',
  apiV1: 'http://api.huddle.net/v1/xml',
};

export interface FakeHuddleOptions {
  /** Static bearer tokens that are always valid. */
  readonly tokens?: readonly string[];
  readonly clients?: Readonly<Record<string, string>>;
  readonly users?: Readonly<Record<string, string>>;
  /** Lifetime of client-credentials tokens. */
  readonly tokenExpiresInSeconds?: number;
  /**
   * Workspace id → may the caller invite to it (false answers 403, code 1004), or its title as well.
   * Unknown ids answer 404.
   */
  readonly workspaces?: Readonly<Record<string, boolean | FakeHuddleWorkspace>>;
  readonly invitesPerWindow?: number;
  readonly retryAfterSeconds?: number;
  /** After this many failed Basic logins the account is locked. */
  readonly lockAfterFailedLogins?: number;
}

export interface FakeHuddleWorkspace {
  readonly title: string;
  readonly canInvite: boolean;
}

/** The workspaces every fake Huddle has unless a test gives its own. */
export const DEFAULT_HUDDLE_WORKSPACES: Readonly<Record<string, FakeHuddleWorkspace>> = {
  '89178': { title: 'Acme Board Pack', canInvite: true },
  '4040': { title: 'Restricted Room', canInvite: false },
};

function describeWorkspace(id: string, entry: boolean | FakeHuddleWorkspace): FakeHuddleWorkspace {
  return typeof entry === 'boolean' ? { title: `Workspace ${id}`, canInvite: entry } : entry;
}

/** A Huddle user with an access token of their own (from the login fake). */
export interface FakeHuddleUser {
  readonly id: string;
  readonly displayName: string;
}

export interface AcceptedHuddleInvitation {
  readonly workspaceId: string;
  readonly addresses: readonly string[];
  readonly message?: string;
}

/** The documented `ResponseWrapper` error body. */
export function huddleError(status: number, code: number, message: string, extraHeaders: Record<string, string> = {}): FakeResponse {
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    status,
    headers: { 'content-type': 'application/xml; charset=utf-8', ...extraHeaders },
    body:
      `<ResponseWrapper xmlns="${NS.client}" xmlns:i="${NS.instance}">\n` +
      ` <Error xmlns:a="${NS.apiV1}">\n  <a:Code>${code}</a:Code>\n  <a:Msg>${escaped}</a:Msg>\n` +
      `  <a:PropertyErrors i:nil="true" xmlns:b="${NS.arrays}"/>\n  <a:Status>${status}</a:Status></Error>\n` +
      '  <Success>false</Success>\n</ResponseWrapper>',
  };
}

export function huddleTooManyRequests(retryAfterSeconds: number): FakeResponse {
  return {
    status: 429,
    headers: {
      'content-type': 'application/xml; charset=utf-8',
      'retry-after': String(retryAfterSeconds),
      'x-ratelimit-limit': '100',
      'x-ratelimit-remaining': '0',
    },
    body: '<ErrorResult><ErrorCode>TooManyRequests</ErrorCode><Message>Rate limit exceeded</Message></ErrorResult>',
  };
}

const PLAUSIBLE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const orderedParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  trimValues: false,
});

/**
 * Huddle's classic API as documented: `POST /v1/xml/workspaces/{id}/invite` with an `InvitationRequest` in
 * the DataContract namespaces (checked by URI, as a real XML reader would), 202 Accepted, `ResponseWrapper`
 * errors; Basic, static Bearer or client-credentials tokens from `POST /token`.
 */
export class FakeHuddle {
  readonly server: FakeServer;
  readonly invitations: AcceptedHuddleInvitation[] = [];
  readonly issuedTokens: string[] = [];
  failedBasicLogins = 0;
  /** Makes the workspace list this slow, to exercise time boxes. */
  lookupDelayMs = 0;
  private revoked = new Set<string>();
  private readonly limiter: SlidingWindowLimiter | undefined;
  /** Access tokens the login fake granted people: whose, and until when (ms). */
  private readonly personal = new Map<string, { readonly user: FakeHuddleUser; readonly expiresAt: number }>();

  constructor(private readonly options: FakeHuddleOptions) {
    this.limiter = options.invitesPerWindow ? new SlidingWindowLimiter(options.invitesPerWindow) : undefined;
    this.server = new FakeServer((request) => this.handle(request));
  }

  static async start(options: FakeHuddleOptions): Promise<FakeHuddle> {
    const fake = new FakeHuddle(options);
    await fake.server.start();
    return fake;
  }

  get apiUrl(): string {
    return this.server.url;
  }

  private get workspaces(): Readonly<Record<string, boolean | FakeHuddleWorkspace>> {
    return this.options.workspaces ?? DEFAULT_HUDDLE_WORKSPACES;
  }

  get lookupRequests(): RecordedRequest[] {
    return this.server.requestsTo(/^\/v1\/json\/workspaces$/);
  }

  get tokenUrl(): string {
    return `${this.server.url}/token`;
  }

  get inviteRequests(): RecordedRequest[] {
    return this.server.requestsTo(/\/invite$/);
  }

  get tokenRequests(): RecordedRequest[] {
    return this.server.requestsTo(/^\/token$/);
  }

  /** An access token the login fake granted `user`, valid until `expiresAt`. */
  acceptPersonToken(token: string, user: FakeHuddleUser, expiresAt: number): void {
    this.personal.set(token, { user, expiresAt });
  }

  /** Person tokens answer 401 from now on (the grant was revoked). */
  revokePersonTokens(userId: string): void {
    for (const [token, entry] of this.personal) if (entry.user.id === userId) this.revoked.add(token);
  }

  /** Makes every token issued so far invalid, as an early expiry or revocation would. */
  revokeIssuedTokens(): void {
    for (const token of this.issuedTokens) this.revoked.add(token);
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private handle(request: RecordedRequest): FakeResponse {
    if (request.path === '/token' && request.method === 'POST') return this.grantToken(request);
    if (request.method === 'GET' && (request.path === '/entry' || request.path.startsWith('/users/'))) return this.userEntry(request);
    if (request.method === 'GET' && request.path === '/v1/json/workspaces') {
      const denied = this.authenticate(request);
      if (denied) return denied;
      const data = Object.entries(this.workspaces).map(([id, entry]) => ({ Id: Number(id), Title: describeWorkspace(id, entry).title, StatusValue: 1 }));
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Data: data, Success: true }), delayMs: this.lookupDelayMs };
    }
    const invite = /^\/v1\/xml\/workspaces\/([^/]+)\/invite$/.exec(request.path);
    if (!invite || request.method !== 'POST') return huddleError(404, 404, 'Not found');
    const denied = this.authenticate(request);
    if (denied) return denied;
    if (this.limiter && !this.limiter.tryTake()) return huddleTooManyRequests(this.options.retryAfterSeconds ?? 1);
    if (!/^application\/xml\b/i.test(request.headers['content-type'] ?? '')) {
      return huddleError(415, 0, 'The request content type must be application/xml');
    }
    const parsed = parseInvitationRequest(request.body);
    if ('error' in parsed) return huddleError(400, 0, parsed.error);
    const unrecognised = parsed.addresses.find((address) => !PLAUSIBLE_EMAIL.test(address));
    if (unrecognised !== undefined) return huddleError(400, 0, `${unrecognised} could not be recognised as an email address`);
    const workspaceId = decodeURIComponent(invite[1] ?? '');
    const entry = Object.hasOwn(this.workspaces, workspaceId) ? this.workspaces[workspaceId] : undefined;
    if (entry === undefined) return huddleError(404, 1002, 'The workspace could not be found');
    if (!describeWorkspace(workspaceId, entry).canInvite) return huddleError(403, 1004, 'You are not authorised to call this method');
    this.invitations.push({ workspaceId, addresses: parsed.addresses, ...(parsed.message !== undefined ? { message: parsed.message } : {}) });
    return { status: 202 };
  }

  private authenticate(request: RecordedRequest): FakeResponse | undefined {
    const header = request.headers.authorization ?? '';
    const unauthorized: FakeResponse = {
      status: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    };
    if (header.startsWith('Basic ')) {
      const locked = this.failedBasicLogins >= (this.options.lockAfterFailedLogins ?? 3);
      const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      if (!locked && user !== undefined && this.options.users?.[user] === rest.join(':')) return undefined;
      this.failedBasicLogins += 1;
      return { status: 401, headers: { 'www-authenticate': 'Basic realm="Huddle"' } };
    }
    const token = bearerToken(request);
    if (token === undefined || this.revoked.has(token)) return unauthorized;
    if (this.options.tokens?.includes(token) || this.issuedTokens.includes(token)) return undefined;
    const person = this.personal.get(token);
    if (person && person.expiresAt > Date.now()) return undefined;
    return unauthorized;
  }

  /**
   * The hypermedia API's user entry: `GET /entry` redirects to the token's user, `GET /users/{id}`
   * (`application/vnd.huddle.data+json`) describes them. Only a person's own token reads their entry.
   */
  private userEntry(request: RecordedRequest): FakeResponse {
    const denied = this.authenticate(request);
    if (denied) return denied;
    const person = this.personal.get(bearerToken(request) ?? '');
    if (!person) return huddleError(403, 1004, 'You are not authorised to call this method');
    const self = `/users/${person.user.id}`;
    if (request.path === '/entry') return { status: 302, headers: { location: self } };
    if (request.path !== self) return huddleError(403, 1004, 'You are not authorised to call this method');
    return {
      status: 200,
      headers: { 'content-type': 'application/vnd.huddle.data+json' },
      body: JSON.stringify({ links: [{ rel: 'self', href: self }], profile: { personal: { displayName: person.user.displayName } } }),
    };
  }

  private grantToken(request: RecordedRequest): FakeResponse {
    const form = new URLSearchParams(request.body);
    const jsonResponse = (status: number, body: unknown): FakeResponse => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (request.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return jsonResponse(400, { error: 'invalid_request', error_description: 'form encoding required' });
    }
    if (form.get('grant_type') !== 'client_credentials') return jsonResponse(400, { error: 'unsupported_grant_type' });
    const clientId = form.get('client_id') ?? '';
    if (!this.options.clients || this.options.clients[clientId] !== form.get('client_secret')) {
      return jsonResponse(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    const token = `tok-${this.issuedTokens.length + 1}-${Math.random().toString(36).slice(2)}`;
    this.issuedTokens.push(token);
    return jsonResponse(200, { access_token: token, token_type: 'bearer', expires_in: this.options.tokenExpiresInSeconds ?? 86400 });
  }
}

/** Reads an InvitationRequest the way a namespace-aware reader would: by URI, not by prefix. */
export function parseInvitationRequest(xml: string): { addresses: string[]; message?: string } | { error: string } {
  if (XMLValidator.validate(xml) !== true) return { error: 'The request body is not well-formed XML' };
  const document = orderedParser.parse(xml) as OrderedNode[];
  const root = document.find((node) => Object.keys(node).some((key) => key !== ':@' && !key.startsWith('?')));
  if (!root || !('InvitationRequest' in root)) return { error: 'Expected an InvitationRequest element' };
  const attributes = root[':@'] ?? {};
  if (attributes.xmlns !== NS.dtos) return { error: `InvitationRequest must be in namespace ${NS.dtos}` };
  const arraysPrefix = Object.entries(attributes).find(([name, value]) => name.startsWith('xmlns:') && value === NS.arrays)?.[0].slice(6);
  const children = (root.InvitationRequest as OrderedNode[]).filter((node) => !('#text' in node));
  const names = children.map((node) => Object.keys(node).find((key) => key !== ':@'));
  const addressesIndex = names.indexOf('Addresses');
  const messageIndex = names.indexOf('Message');
  if (addressesIndex === -1) return { error: 'Addresses is required' };
  if (names.some((name) => name !== 'Addresses' && name !== 'Message')) return { error: `Unexpected element in InvitationRequest` };
  if (messageIndex !== -1 && messageIndex < addressesIndex) return { error: 'Addresses must come before Message' };
  if (!arraysPrefix) return { error: `Addresses items must be in namespace ${NS.arrays}` };
  const items = ((children[addressesIndex]?.Addresses ?? []) as OrderedNode[]).filter((node) => !('#text' in node));
  const addresses: string[] = [];
  for (const item of items) {
    const text = (item[`${arraysPrefix}:string`] as OrderedNode[] | undefined)?.map((node) => node['#text'] ?? '').join('');
    if (text === undefined) return { error: `Addresses may hold only ${arraysPrefix}:string items` };
    addresses.push(text);
  }
  const messageNode = messageIndex === -1 ? undefined : (children[messageIndex]?.Message as OrderedNode[]);
  const message = messageNode?.map((node) => String(node['#text'] ?? '')).join('');
  return { addresses, ...(message !== undefined ? { message } : {}) };
}
