import type { webApi } from '@slack/bolt';
import type { Invitee } from '../invitations/request.js';
import { mapWithConcurrency } from '../invitations/service.js';
import type { Logger } from '../logger.js';
import { slackText } from '../messages.js';
import { userMention } from './mrkdwn.js';
import { slackErrorCode } from './slack-errors.js';

export interface ResolvedMentions {
  readonly invitees: Invitee[];
  /** One mrkdwn line per colleague who cannot be invited. */
  readonly problems: string[];
}

/** Turns mentioned colleagues into addresses and real names with `users.info` (needs users:read.email). */
export async function resolveMentions(client: webApi.WebClient, userIds: readonly string[], logger: Logger): Promise<ResolvedMentions> {
  const unique = [...new Set(userIds)];
  const results = await mapWithConcurrency(unique, 5, async (userId) => {
    const who = userMention(userId);
    try {
      const { user } = await client.users.info({ user: userId });
      if (!user || user.deleted) return { problem: slackText.mentionDeleted(who) };
      if (user.is_bot || user.is_app_user || userId === 'USLACKBOT') return { problem: slackText.mentionIsBot(who) };
      const email = user.profile?.email;
      if (!email) return { problem: slackText.mentionWithoutEmail(who) };
      const fullName = user.profile?.real_name || user.real_name || user.profile?.display_name || undefined;
      return { invitee: { email, ...(fullName ? { fullName } : {}) } };
    } catch (error) {
      logger.warn({ event: 'users_info_failed', userId, slackError: slackErrorCode(error) }, 'could not resolve a mention');
      return { problem: slackText.mentionLookupFailed(who) };
    }
  });
  return {
    invitees: results.flatMap((result) => (result.invitee ? [result.invitee] : [])),
    problems: results.flatMap((result) => (result.problem ? [result.problem] : [])),
  };
}
