import type { ServiceName } from '../invitations/request.js';

export type ProviderErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'rate_limited'
  | 'unavailable'
  | 'server_error'
  | 'unexpected_response'
  | 'connection'
  | 'no_answer';

export interface ProviderErrorDetails {
  readonly status?: number;
  /** Huddle's numeric `Code` or Kantata's error `type`: the closest thing each has to a machine code. */
  readonly code?: string;
  /** What the service itself said, verbatim, for people to read. */
  readonly upstreamMessage?: string;
  readonly retryAfterMs?: number;
  /** For failures without an HTTP answer: what happened on the wire, in a few words. */
  readonly reason?: string;
  readonly cause?: unknown;
}

export const SERVICE_LABELS: Readonly<Record<ServiceName, string>> = { kantata: 'Kantata OX', huddle: 'Huddle' };

/**
 * One hierarchy for both upstreams. `kind` is what callers branch on; `retryable` and
 * `mayHaveBeenProcessed` are the two facts the retry logic and the outcome need.
 */
export abstract class ProviderError extends Error {
  abstract readonly kind: ProviderErrorKind;
  /** Safe to send the same request again: the service certainly did not act on it. */
  readonly retryable: boolean = false;
  /** The service may have acted on the request (sent the e-mail) even though we saw no success. */
  readonly mayHaveBeenProcessed: boolean = false;
  readonly status?: number;
  readonly code?: string;
  readonly upstreamMessage?: string;
  readonly retryAfterMs?: number;
  /** For failures without an HTTP answer: what happened on the wire, in a few words. */
  readonly reason?: string;

  constructor(
    readonly service: ServiceName,
    summary: string,
    details: ProviderErrorDetails = {},
  ) {
    const said = details.upstreamMessage ? `: ${details.upstreamMessage}` : '';
    const status = details.status !== undefined ? ` (HTTP ${details.status})` : '';
    super(`${SERVICE_LABELS[service]} ${summary}${status}${said}`, details.cause ? { cause: details.cause } : undefined);
    this.name = new.target.name;
    if (details.status !== undefined) this.status = details.status;
    if (details.code !== undefined) this.code = details.code;
    if (details.upstreamMessage !== undefined) this.upstreamMessage = details.upstreamMessage;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.reason !== undefined) this.reason = details.reason;
  }
}

/** 400 and 422: the service refused what was sent. */
export class InvalidRequestError extends ProviderError {
  readonly kind = 'invalid_request';
  constructor(service: ServiceName, details: ProviderErrorDetails) {
    super(service, 'rejected the request', details);
  }
}

export class AuthenticationError extends ProviderError {
  readonly kind = 'authentication';
  constructor(service: ServiceName, details: ProviderErrorDetails) {
    super(service, "did not accept the bot's credentials", details);
  }
}

export class PermissionError extends ProviderError {
  readonly kind = 'permission';
  constructor(service: ServiceName, details: ProviderErrorDetails) {
    super(service, "refused: the bot's account may not do this", details);
  }
}

export class NotFoundError extends ProviderError {
  readonly kind = 'not_found';
  constructor(service: ServiceName, details: ProviderErrorDetails) {
    super(service, 'could not find the workspace', details);
  }
}

export class RateLimitError extends ProviderError {
  readonly kind = 'rate_limited';
  override readonly retryable = true;
  constructor(service: ServiceName, details: ProviderErrorDetails) {
    super(service, 'is rate limiting the bot', details);
  }
}

export class ServiceUnavailableError extends ProviderError {
  readonly kind = 'unavailable';
  override readonly retryable = true;
  constructor(service: ServiceName, details: ProviderErrorDetails) {
    super(service, 'is unavailable', details);
  }
}

/** A 5xx other than 503 with the service's own error body: it failed while handling the request. */
export class ServerError extends ProviderError {
  readonly kind = 'server_error';
  override readonly mayHaveBeenProcessed = true;
  constructor(service: ServiceName, details: ProviderErrorDetails) {
    super(service, 'failed while handling the request', details);
  }
}

/** A body we cannot read as the service's documented format (an HTML error page, say). */
export class UnexpectedResponseError extends ProviderError {
  readonly kind = 'unexpected_response';
  override readonly mayHaveBeenProcessed: boolean;
  constructor(service: ServiceName, details: ProviderErrorDetails & { status: number }) {
    super(service, 'gave an unexpected response', details);
    // A gateway error page may come after the service already acted; a 2xx we cannot read means it did act.
    this.mayHaveBeenProcessed = details.status < 400 || (details.status >= 500 && details.status !== 503);
  }
}

/** The request never left: connection refused, DNS failure, connect timeout. */
export class ConnectionError extends ProviderError {
  readonly kind = 'connection';
  override readonly retryable = true;
  constructor(service: ServiceName, reason: string, cause?: unknown) {
    super(service, `could not be reached (${reason})`, { cause, reason });
  }
}

/** The request was sent (or may have been) and no complete answer came: a timeout or a dropped connection. */
export class NoAnswerError extends ProviderError {
  readonly kind = 'no_answer';
  override readonly mayHaveBeenProcessed = true;
  constructor(service: ServiceName, reason: string, cause?: unknown) {
    super(service, `gave no answer (${reason})`, { cause, reason });
  }
}

type ErrorConstructor = new (service: ServiceName, details: ProviderErrorDetails) => ProviderError;

const ERROR_BY_STATUS: Readonly<Record<number, ErrorConstructor>> = {
  400: InvalidRequestError,
  401: AuthenticationError,
  403: PermissionError,
  404: NotFoundError,
  422: InvalidRequestError,
  429: RateLimitError,
  503: ServiceUnavailableError,
};

/** Maps an HTTP error status whose body the service's documented error format described. */
export function errorForStatus(service: ServiceName, details: ProviderErrorDetails & { status: number }): ProviderError {
  const known = ERROR_BY_STATUS[details.status];
  if (known) return new known(service, details);
  if (details.status >= 500) return new ServerError(service, details);
  return new InvalidRequestError(service, details);
}

/**
 * For an error status whose body is not the service's documented format (a proxy's page, an empty body):
 * 429, 503 and 401 still say clearly what happened; anything else is reported as unexpected.
 */
export function errorForUnreadableBody(service: ServiceName, details: ProviderErrorDetails & { status: number }): ProviderError {
  switch (details.status) {
    case 429:
      return new RateLimitError(service, details);
    case 503:
      return new ServiceUnavailableError(service, details);
    case 401:
      return new AuthenticationError(service, details);
    default:
      return new UnexpectedResponseError(service, details);
  }
}
