import type { webApi } from '@slack/bolt';
import { request } from 'undici';
import type { Logger } from '../logger.js';
import { slackText } from '../messages.js';
import { channelMention } from './mrkdwn.js';
import { renderCombined, type SlackMessage } from './render.js';
import { slackErrorCode } from './slack-errors.js';

/** Where a result goes: the channel the request came from, and the person to fall back on. */
export interface Destination {
  readonly channelId: string;
  readonly userId: string;
  /** From a slash command: posts even where the bot is not a member, for 30 minutes. */
  readonly responseUrl?: string;
}

export type DeliveredVia = 'channel' | 'response_url' | 'direct_message' | 'nowhere';

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
 * Delivers results so that none is lost: the channel first (summary, then one thread reply per problem
 * under the summary's ts), else the command's response_url, else a direct message to the person who asked.
 */
export class Delivery {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
    private readonly postToUrl: PostToResponseUrl = postToResponseUrl,
  ) {}

  async postOutcome(destination: Destination, summary: SlackMessage, replies: readonly SlackMessage[], ref: string): Promise<DeliveredVia> {
    const inChannel = await this.postThread(destination.channelId, summary, replies, ref);
    if (inChannel) return 'channel';
    const intro = slackText.fallbackIntro(channelMention(destination.channelId));
    if (destination.responseUrl) {
      try {
        await this.postToUrl(destination.responseUrl, {
          response_type: 'in_channel',
          replace_original: false,
          ...renderCombined(summary, replies),
        });
        return 'response_url';
      } catch (error) {
        this.logger.warn({ event: 'response_url_failed', ref, error: String(error) }, 'response_url fallback failed');
      }
    }
    const direct = renderCombined(summary, [], intro);
    if (await this.postThread(destination.userId, direct, replies, ref)) return 'direct_message';
    this.logger.error({ event: 'outcome_undelivered', ref, channelId: destination.channelId, userId: destination.userId }, 'could not deliver an outcome anywhere');
    return 'nowhere';
  }

  /** A message for the person who asked and nobody else: ephemeral where possible, else a DM. */
  async tellRequester(destination: Destination, message: SlackMessage, ref: string): Promise<DeliveredVia> {
    if (destination.responseUrl) {
      try {
        await this.postToUrl(destination.responseUrl, { response_type: 'ephemeral', replace_original: false, ...message });
        return 'response_url';
      } catch (error) {
        this.logger.warn({ event: 'response_url_failed', ref, error: String(error) }, 'ephemeral reply via response_url failed');
      }
    }
    try {
      await this.client.chat.postEphemeral({ channel: destination.channelId, user: destination.userId, ...message });
      return 'channel';
    } catch (error) {
      this.logger.info({ event: 'ephemeral_failed', ref, slackError: slackErrorCode(error) }, 'ephemeral reply failed; sending a DM');
    }
    if (await this.postThread(destination.userId, message, [], ref)) return 'direct_message';
    this.logger.error({ event: 'notice_undelivered', ref, userId: destination.userId }, 'could not reach the requester');
    return 'nowhere';
  }

  /** Posts a message and its thread replies; false when the parent could not be posted. */
  private async postThread(channel: string, parent: SlackMessage, replies: readonly SlackMessage[], ref: string): Promise<boolean> {
    let threadTs: string | undefined;
    try {
      const posted = await this.client.chat.postMessage({ channel, ...parent, unfurl_links: false, unfurl_media: false });
      threadTs = posted.ts;
    } catch (error) {
      this.logger.info({ event: 'post_failed', ref, channel, slackError: slackErrorCode(error) }, 'could not post the message');
      return false;
    }
    for (const reply of replies) {
      try {
        await this.client.chat.postMessage({ channel, ...reply, ...(threadTs ? { thread_ts: threadTs } : {}), unfurl_links: false, unfurl_media: false });
      } catch (error) {
        this.logger.error({ event: 'thread_reply_failed', ref, channel, slackError: slackErrorCode(error) }, 'could not post a thread reply');
      }
    }
    return true;
  }
}
