import type { UrgentSlack } from './urgent-slack.js';
import { request } from 'undici';
import type { Logger } from '../logger.js';
import type { SlackMessage } from './render.js';
import { slackErrorCode } from './slack-errors.js';

/** Where a result goes: the channel the request came from, and the person to fall back on. */
export interface Destination {
  readonly channelId: string;
  readonly userId: string;
  /** From a slash command: posts even where the bot is not a member, for 30 minutes. */
  readonly responseUrl?: string;
}

export type DeliveredVia = 'response_url' | 'ephemeral' | 'direct_message' | 'nowhere';

export type PostToResponseUrl = (url: string, body: object) => Promise<void>;

/** POSTs JSON to a response_url; throws unless Slack answers 2xx. */
export const postToResponseUrl: PostToResponseUrl = async (url, body) => {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await response.body.text();
  if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`response_url answered HTTP ${response.statusCode}: ${text.slice(0, 100)}`);
};

/**
 * Messages for the person who asked and nobody else (input mistakes, refusals, "accepted"): through the
 * command's response_url where there is one, else ephemeral in the channel, else a direct message. Sent
 * with the urgent client: the person is waiting.
 */
export class PrivateNotices {
  constructor(
    private readonly slack: Pick<UrgentSlack, 'postEphemeral' | 'postMessage'>,
    private readonly logger: Logger,
    private readonly postToUrl: PostToResponseUrl = postToResponseUrl,
  ) {}

  async tell(destination: Destination, message: SlackMessage, ref: string): Promise<DeliveredVia> {
    if (destination.responseUrl) {
      try {
        await this.postToUrl(destination.responseUrl, { response_type: 'ephemeral', replace_original: false, ...message });
        return 'response_url';
      } catch (error) {
        this.logger.warn({ event: 'response_url_failed', ref, error: String(error) }, 'ephemeral reply via response_url failed');
      }
    }
    try {
      await this.slack.postEphemeral(destination.channelId, destination.userId, message);
      return 'ephemeral';
    } catch (error) {
      this.logger.info({ event: 'ephemeral_failed', ref, slackError: slackErrorCode(error) }, 'ephemeral reply failed; sending a DM');
    }
    try {
      await this.slack.postMessage(destination.userId, message);
      return 'direct_message';
    } catch (error) {
      this.logger.error({ event: 'notice_undelivered', ref, userId: destination.userId, slackError: slackErrorCode(error) }, 'could not reach the requester');
      return 'nowhere';
    }
  }
}
