import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

/** The namespaces of the seed document, bound to the same prefixes it uses. */
export const HUDDLE_NAMESPACES = {
  dtos: 'http://schemas.datacontract.org/2004/07/Huddle.Client.Dtos',
  instance: 'http://www.w3.org/2001/XMLSchema-instance',
  arrays: 'http://schemas.microsoft.com/2003/10/Serialization/Arrays',
  client: 'http://schemas.datacontract.org/2004/07/Huddle.Client',
  apiV1: 'http://api.huddle.net/v1/xml',
} as const;

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  indentBy: '  ',
  // The builder escapes & < > " ' in text and attribute values, so user text can never become markup.
  processEntities: true,
});

/**
 * `InvitationRequest` as Huddle's DataContract serializer expects it: `Addresses` before `Message`
 * (data members are ordered alphabetically), array items as `a:string`.
 */
export function buildInvitationRequestXml(addresses: readonly string[], message?: string): string {
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    InvitationRequest: {
      '@_xmlns:i': HUDDLE_NAMESPACES.instance,
      '@_xmlns': HUDDLE_NAMESPACES.dtos,
      '@_xmlns:a': HUDDLE_NAMESPACES.arrays,
      Addresses: { 'a:string': [...addresses] },
      ...(message !== undefined ? { Message: message } : {}),
    },
  }) as string;
}

export interface HuddleErrorBody {
  readonly code?: string;
  readonly message?: string;
  /** The `Status` element of a `ResponseWrapper`, when present. */
  readonly status?: number;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
});

/**
 * Reads Huddle's two error shapes: the classic `ResponseWrapper` (`Error/Code`, `Msg`, `Status`) and the newer
 * `ErrorResult` (`ErrorCode`, `Message`) sent with 429. Returns undefined for anything else (HTML, garbage).
 */
export function parseHuddleErrorXml(body: string): HuddleErrorBody | undefined {
  if (!body.trim() || XMLValidator.validate(body) !== true) return undefined;
  let document: Record<string, unknown>;
  try {
    document = parser.parse(body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const wrapper = asRecord(document.ResponseWrapper);
  if (wrapper) {
    const error = asRecord(wrapper.Error);
    if (!error) return undefined;
    const status = Number(text(error.Status));
    return compact({
      code: text(error.Code),
      message: text(error.Msg),
      status: Number.isInteger(status) && status > 0 ? status : undefined,
    });
  }
  const result = asRecord(document.ErrorResult);
  if (result) {
    return compact({
      code: text(result.ErrorCode),
      message: text(result.Message) ?? text(result.ErrorMessage) ?? text(result.Description),
    });
  }
  return undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number') return String(value);
  const record = asRecord(value);
  return record && typeof record['#text'] === 'string' ? record['#text'].trim() || undefined : undefined;
}

function compact(error: { code?: string | undefined; message?: string | undefined; status?: number | undefined }): HuddleErrorBody {
  return Object.fromEntries(Object.entries(error).filter(([, value]) => value !== undefined)) as HuddleErrorBody;
}
