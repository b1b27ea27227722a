/**
 * Escapes text for Slack mrkdwn: `&`, `<` and `>` are Slack's control characters, so a name like
 * `<!channel>` must arrive as text or it would ping everyone.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes and cuts to `max` characters, for fields with hard Slack limits. */
export function truncate(text: string, max: number): string {
  const characters = [...text];
  return characters.length <= max ? text : `${characters.slice(0, max - 1).join('')}…`;
}

export function userMention(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/** A user group as Slack mentions it: everyone in it is notified where it is posted. */
export function usergroupMention(usergroupId: string): string {
  return /^S[A-Z0-9]+$/.test(usergroupId) ? `<!subteam^${usergroupId}>` : escapeMrkdwn(usergroupId);
}

export function channelMention(channelId: string): string {
  return /^[CGD][A-Z0-9]+$/.test(channelId) ? `<#${channelId}>` : 'the channel';
}

/**
 * A moment as Slack shows it in each reader's own time zone, with its day: "today at 10:42",
 * "yesterday at 10:42", "Nov 12 at 10:42". Windows such as the duplicate guard's may span days, so a time
 * alone could mislead. The fallback, for clients that cannot render it, is UTC.
 */
export function slackDateTime(ms: number): string {
  const fallback = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}
