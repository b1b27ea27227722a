/**
 * Slack reads `<`, `>` and `&` in mrkdwn as control characters. These are the controls this app may send
 * on purpose; anything else must arrive escaped (`&lt;`, `&gt;`, `&amp;`), or Slack swallows or
 * mangles the text around it.
 */
const SLACK_CONTROL = /<(?:@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|!subteam\^S[A-Z0-9]+|!date\^\d+\^[^|<>]+\|[^<>]+|https?:\/\/[^\s<>|]+(?:\|[^<>]+)?|mailto:[^\s<>|]+(?:\|[^<>]+)?)>/g;
const ENTITY = /&(?:amp|lt|gt);/g;

/** The raw `<`, `>` or `&` left in mrkdwn once Slack's own controls and entities are set aside. */
export function rawControlCharacters(mrkdwn: string): string[] {
  return [...mrkdwn.replace(SLACK_CONTROL, '').replace(ENTITY, '').matchAll(/[<>&]/g)].map((match) => match[0]);
}
