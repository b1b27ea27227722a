/** Hostile and broken inputs, run through the real HTTP path by hostile.test.ts. */

const many = (count: number) => Array.from({ length: count }, (_, i) => `p${i}@acme.com`).join(', ');

/** `/invite` texts, as Slack would deliver them (escaped where Slack escapes). */
export const textCases: readonly string[] = [
  // overlong
  'x'.repeat(10_000),
  `"${'N'.repeat(5_000)}" <bob@acme.com> to kantata:12345 as buyer`,
  `"Bob" <bob@acme.com> to kantata:12345 as buyer -- ${'m'.repeat(6_000)}`,
  `${'a'.repeat(300)}@acme.com to kantata:12345 as buyer`,
  `"Bob" <bob@${'d'.repeat(70)}.com> to kantata:12345 as buyer`,
  // control characters, NUL, bidi
  '"Bob\u0000Smith" <bob@acme.com> to kantata:12345 as buyer',
  '"Bob" <bob\u0000@acme.com> to kantata:12345 as buyer',
  '"Bob" <bob@acme.com> to kantata:12345 as buyer -- hello\u0000world',
  '"Bob\u202eevil" <bob@acme.com> to kantata:12345 as buyer',
  '"Bob" <bob@acme.com> to kantata:12345 as buyer -- \u202eesrever',
  '"Bob\u200b" <bob\u200b@acme.com> to kantata:12345 as buyer',
  '"Bob" <bob@acme.com> to kantata:12345 as buyer -- bell\u0007 escape\u001b[31m',
  '"\u0008\u0008\u0008" <bob@acme.com> to kantata:12345 as buyer',
  '\uE000\uE001"Bob" <bob@acme.com> to kantata:12345 as buyer',
  '"Bob" <bob@acme.com>\r\nto kantata:12345 as buyer',
  // XML / HTML / markdown injection
  '"Bob" <bob@acme.com> to kantata:12345 as buyer -- </Message><Addresses><a:string>evil@x.com</a:string></Addresses>',
  '"<script>alert(1)</script>" <bob@acme.com> to kantata:12345 as buyer',
  '"*bold* _it_ ~st~ `code` ```block```" <bob@acme.com> to kantata:12345 as buyer',
  '"Bob" <bob@acme.com> to kantata:12345 as buyer -- <b>hi</b> &lt;i&gt;there&lt;/i&gt; &amp;amp;',
  '"Bob]]>" <bob@acme.com> to kantata:12345 as buyer -- <![CDATA[ x ]]>',
  '"Bob" <bob@acme.com> to kantata:12345 as buyer -- <?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>&e;',
  '"[link](http://evil.example)" <bob@acme.com> to kantata:12345 as buyer',
  // Slack specials in names and messages
  '"<!channel>" <bob@acme.com> to kantata:12345 as buyer',
  '"&lt;!channel&gt;" <bob@acme.com> to kantata:12345 as buyer',
  '"&lt;!here&gt; &lt;!everyone&gt;" &lt;<mailto:bob@acme.com|bob@acme.com>&gt; to kantata:12345 as buyer',
  '"&lt;!subteam^S1|@team&gt;" <bob@acme.com> to kantata:12345 as buyer',
  '"Bob" <bob@acme.com> to kantata:12345 as buyer -- hey <!channel> and <!here> and <!subteam^S1|@devs>',
  '"Bob" <bob@acme.com> to kantata:12345 as buyer -- &lt;!channel&gt; &lt;@U0EVIL&gt;',
  '<!channel> to kantata:12345 as buyer',
  '<!here|here> <!everyone> to huddle:89178',
  '<!subteam^S0123|@devs> to huddle:89178',
  '<#C0123|general> to huddle:89178',
  '<@U0BOB> to kantata:12345 as buyer',
  '<@U0EVIL|evil> to kantata:12345 as buyer',
  '<@UNOBODY> to kantata:12345 as buyer',
  '<@U0BOB><@U0BOB><@U0BOB> to kantata:12345 as buyer',
  '"Bob" <bob@acme.com> to kantata:12345 as <!channel>',
  '"Bob" <bob@acme.com> to <!channel>:12345 as buyer',
  // lookalike unicode, IDN, quoted local parts
  '"Bob" <bоb@acme.com> to kantata:12345 as buyer',
  '"Bob" <bob@аcme.com> to kantata:12345 as buyer',
  '"Bob" <bob@bücher.de> to kantata:12345 as buyer',
  '"Bob" <bob@xn--bcher-kva.de> to kantata:12345 as buyer',
  '"Bob" <"bob smith"@acme.com> to kantata:12345 as buyer',
  '"Bob" <"bob"@acme.com> to kantata:12345 as buyer',
  '"Bob" <bob@[127.0.0.1]> to kantata:12345 as buyer',
  '"Bob" <bob@acme.com.> to kantata:12345 as buyer',
  '"Bob" <ｂｏｂ@ａｃｍｅ.ｃｏｍ> to kantata:12345 as buyer',
  // thousands of addresses
  `${many(2_000)} to huddle:89178`,
  `${many(51)} to huddle:89178`,
  `${Array.from({ length: 300 }, (_, i) => `<@U${i}X>`).join(' ')} to kantata:12345 as buyer`,
  // broken structure
  '"Bob <bob@acme.com> to kantata:12345 as buyer',
  '"Bob" <bob@acme.com to kantata:12345 as buyer',
  '<> to kantata:12345 as buyer',
  '<<<>>> to kantata:12345 as buyer',
  '"" <> , ,,, ;; to kantata:12345 as buyer',
  'to',
  'to kantata:',
  'bob@acme.com to kantata:-1 as buyer',
  'bob@acme.com to kantata:1e9 as buyer',
  'bob@acme.com to kantata:0x10 as buyer',
  'bob@acme.com to kantata:99999999999999999999999 as buyer',
  '"Bob" <bob@acme.com> to kantata:12345 as owner',
  '"Bob" <bob@acme.com> to kantata:12345/../../users as buyer',
  '"Bob" <bob@acme.com> to kantata:12345%2F..%2Fadmin as buyer',
  '"Bob" <bob@acme.com> to kantata:１２３ as buyer',
  'bob@acme.com to dropbox:12345',
  '-- only a message',
  '--again --again --again',
  '"Bob" <mailto:bob@acme.com?subject=hi|bob@acme.com> to kantata:12345 as buyer',
  '"Bob" <mailto:%00@acme.com|x> to kantata:12345 as buyer',
  '"Bob" <mailto:%E0%A4%A|x> to kantata:12345 as buyer',
  '"Bob" <http://evil.example|bob@acme.com> to kantata:12345 as buyer',
  '😀 <😀@😀.com> to kantata:12345 as buyer',
  'help me please',
  '&amp;lt;bob@acme.com&amp;gt; to huddle:89178',
];

/** Huddle requests that get as far as the XML builder. */
export const huddleCases: readonly string[] = [
  'ann@acme.com to huddle:89178 -- </Message><Addresses><a:string>evil@x.com</a:string></Addresses><Message>',
  'ann2@acme.com to huddle:89178 -- & < > " \' all five',
  'ann3@acme.com to huddle:89178 -- Grüße 欢迎 مرحبا 👋',
  'ann4@acme.com to huddle:89178 as buyer',
  'ann5@acme.com to huddle:4040',
  'ann6@acme.com to huddle:1',
  "o'brien@acme.com to huddle:89178 -- it's",
];

const state = (values: Record<string, unknown>) => ({ state: { values } });

/** `payload` fields of interactivity requests: broken JSON, wrong shapes, unknown types. */
export const modalCases: readonly (string | object)[] = [
  'not json',
  '',
  '[]',
  'null',
  '{"type":"view_submission"}',
  { type: 'view_submission', user: { id: 'U1' } },
  { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'invite_modal' } },
  { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'invite_modal', ...state({ people: { people: { value: 123 } } }) } },
  { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'invite_modal', ...state({ colleagues: { colleagues: { selected_users: 'U1' } } }) } },
  { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'invite_modal', ...state({ role: { role: { selected_option: 'maven' } } }) } },
  { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'invite_modal', private_metadata: '{"channelId":{"$ne":1}}', ...state({}) } },
  { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'invite_modal', private_metadata: '<!channel>', ...state({ workspace: { workspace: { selected_option: { value: '<!channel>' } } } }) } },
  { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'invite_modal', ...state({ workspace: null, people: 'x' }) } },
  { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'someone_elses_modal', ...state({}) } },
  { type: 'view_closed', user: { id: 'U1' }, view: { callback_id: 'invite_modal' } },
  { type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'nothing', block_id: 'x' }] },
  { type: 'block_suggestion', user: { id: 'U1' }, action_id: 'workspace', value: 'acme' },
  { type: 'block_suggestion', user: { id: 'U1' }, action_id: 'workspace', value: 42 },
  { type: 'block_suggestion', user: { id: 'U1' }, action_id: 'workspace', value: `<!channel> ${'x'.repeat(5000)}` },
  { type: 'block_suggestion', user: { id: 'U1' }, action_id: 'workspace', value: 'acme', view: { state: { values: { service: 'kantata' } } } },
  { type: 'block_suggestion', user: { id: 'U1' }, action_id: 'workspace', value: 'acme', view: { state: { values: { service: { service: { selected_option: { value: '__proto__' } } } } } } },
  { type: 'block_suggestion', user: { id: 'U1' }, action_id: 'someone_elses_menu', value: 'acme' },
  { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'invite_modal', ...state({ workspace: { workspace: { selected_option: { value: 'kantata:../../users/me' } } } }) } },
  { type: 'unknown_type', user: { id: 'U1' } },
  { type: 'view_submission', user: { id: 'U9-NOT-A-USER' }, view: { callback_id: 'invite_modal', ...state({ people: { people: { value: 'a@acme.com' } } }) } },
  { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'invite_modal', ...state({ people: { people: { value: many(500) } }, workspace: { workspace: { selected_option: { value: 'huddle:89178' } } }, service: { service: { selected_option: { value: 'huddle' } } } }) } },
];

export interface RawCase {
  readonly name: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly method?: string;
  readonly path?: string;
  readonly timestamp?: number;
  readonly secret?: string;
  readonly expectStatus?: number;
}

const now = () => Math.floor(Date.now() / 1000);

/** Raw HTTP: content types, sizes, signatures and timestamps Slack would never send. */
export const rawCases: readonly RawCase[] = [
  { name: 'text/plain body', headers: { 'content-type': 'text/plain' }, expectStatus: 415 },
  { name: 'no content type', headers: { 'content-type': '' }, expectStatus: 415 },
  { name: 'multipart body', headers: { 'content-type': 'multipart/form-data; boundary=x' }, expectStatus: 415 },
  { name: 'JSON body with command fields', body: JSON.stringify({ command: '/invite', text: 'bob@acme.com to huddle:89178', user_id: 'U1', channel_id: 'C1' }), headers: { 'content-type': 'application/json' } },
  { name: 'broken JSON body', body: '{"command":', headers: { 'content-type': 'application/json' } },
  { name: 'malformed form body', body: '%%%&&&===' },
  { name: 'empty body', body: '' },
  { name: 'oversize body', body: `text=${'x'.repeat(12 * 1024 * 1024)}` },
  { name: 'signed with another secret', secret: 'wrong-secret', expectStatus: 401 },
  { name: 'signature of another scheme', headers: { 'x-slack-signature': 'v1=abc' }, expectStatus: 401 },
  { name: 'no signature', headers: { 'x-slack-signature': '' }, expectStatus: 401 },
  { name: 'non-hex signature', headers: { 'x-slack-signature': `v0=${'z'.repeat(64)}` }, expectStatus: 401 },
  { name: 'timestamp not a number', headers: { 'x-slack-request-timestamp': 'yesterday' }, expectStatus: 401 },
  { name: 'negative timestamp', timestamp: -1, expectStatus: 401 },
  { name: 'timestamp six minutes old', timestamp: now() - 360, expectStatus: 401 },
  { name: 'timestamp six minutes ahead', timestamp: now() + 360, expectStatus: 401 },
  { name: 'timestamp in milliseconds', timestamp: Date.now(), expectStatus: 401 },
  { name: 'GET on the events endpoint', method: 'GET' },
  { name: 'PUT on the events endpoint', method: 'PUT' },
  { name: 'path outside the app', path: '/../../etc/passwd' },
  { name: 'unknown command', body: new URLSearchParams({ command: '/other', text: 'x', user_id: 'U1', channel_id: 'C1', team_id: 'T1' }).toString() },
  { name: 'ssl_check', body: 'ssl_check=1&token=x', expectStatus: 200 },
];
