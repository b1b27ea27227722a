import { createHmac } from 'node:crypto';

/** Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`. */
export function slackSignature(body: string, timestamp: number, secret: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** A `/invite` slash command body, with the fields and encoding Slack sends. */
export function slashCommandBody(text: string, unique: { responseUrl: string; triggerId: string }, overrides: Record<string, string> = {}): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T1',
    team_domain: 'acme',
    channel_id: 'C1',
    channel_name: 'rollout',
    user_id: 'U1',
    user_name: 'ann',
    command: '/invite',
    text,
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: unique.responseUrl,
    trigger_id: unique.triggerId,
    ...overrides,
  }).toString();
}
