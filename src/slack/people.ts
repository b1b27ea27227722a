import type { UrgentSlack } from './urgent-slack.js';
import type { Invitee } from '../invitations/request.js';
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
export async function resolveMentions(slack: Pick<UrgentSlack, 'userInfo'>, userIds: readonly string[], logger: Logger): Promise<ResolvedMentions> {
  const unique = [...new Set(userIds)];
  const results = await mapWithConcurrency(unique, 5, async (userId) => {
    const who = userMention(userId);
    try {
      const user = await slack.userInfo(userId);
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

/** Like Promise.all over `items.map(task)`, with at most `limit` tasks running; results keep input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
