import { request } from 'undici';

export interface Visit {
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  readonly location?: string;
}

interface Cookie {
  readonly value: string;
  readonly origin: string;
  readonly path: string;
}

/**
 * Just enough of a browser for the link flow over plain HTTP: a cookie jar (name, origin, path; Max-Age=0
 * deletes), GETs and form POSTs, redirects followed on request. Each instance is one browser profile.
 */
export class TestBrowser {
  private readonly cookies = new Map<string, Cookie>();
  readonly visits: Visit[] = [];

  async get(url: string): Promise<Visit> {
    return this.send('GET', url);
  }

  async postForm(url: string, form: Record<string, string>): Promise<Visit> {
    return this.send('POST', url, new URLSearchParams(form).toString());
  }

  /** GETs `url` and follows redirects (GET after 302/303) until a page answers. */
  async open(url: string, maxRedirects = 5): Promise<Visit> {
    let visit = await this.get(url);
    for (let hops = 0; visit.location && hops < maxRedirects; hops += 1) visit = await this.get(new URL(visit.location, visit.url).toString());
    return visit;
  }

  /** Submits the authorize page's form with one of its buttons, following the redirect back and on. */
  async decide(authorizePage: Visit, decision: 'allow' | 'deny'): Promise<Visit> {
    const action = /<form method="post" action="([^"]+)"/.exec(authorizePage.text)?.[1];
    if (!action) throw new Error('no form on the authorize page');
    const fields = Object.fromEntries([...authorizePage.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [match[1], unescape(match[2] ?? '')]));
    const answer = await this.postForm(new URL(action, authorizePage.url).toString(), { ...fields, decision });
    return answer.location ? this.open(new URL(answer.location, answer.url).toString()) : answer;
  }

  cookieNames(): string[] {
    return [...this.cookies.keys()];
  }

  private async send(method: 'GET' | 'POST', url: string, body?: string): Promise<Visit> {
    const target = new URL(url);
    const cookie = [...this.cookies]
      .filter(([, entry]) => entry.origin === target.origin && target.pathname.startsWith(entry.path))
      .map(([name, entry]) => `${name}=${entry.value}`)
      .join('; ');
    const response = await request(url, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.body.text();
    const setCookie = response.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) this.store(target, line);
    const location = response.headers.location;
    const visit: Visit = { url, status: response.statusCode, headers: response.headers, text, ...(typeof location === 'string' ? { location } : {}) };
    this.visits.push(visit);
    return visit;
  }

  private store(target: URL, line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const [name = '', ...rest] = pair.split('=');
    const path = attributes.find((attribute) => /^path=/i.test(attribute))?.slice(5) ?? '/';
    const maxAge = attributes.find((attribute) => /^max-age=/i.test(attribute))?.slice(8);
    if (maxAge !== undefined && Number(maxAge) <= 0) this.cookies.delete(name);
    else this.cookies.set(name, { value: rest.join('='), origin: target.origin, path });
  }
}

function unescape(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The URL of the first link button in a Slack message (the connect prompt). */
export function buttonUrl(message: { blocks?: unknown } | undefined): string | undefined {
  const blocks = (message?.blocks ?? []) as { type?: string; elements?: { url?: string }[]; accessory?: { url?: string } }[];
  for (const block of blocks) {
    const url = block.elements?.find((element) => element.url)?.url ?? block.accessory?.url;
    if (url) return url;
  }
  return undefined;
}
