import type { BlockAction, ButtonAction } from '@slack/bolt';
import type { Destination } from './private-notices.js';

/** A press of one of the bot's buttons: who pressed it, its value, and where to answer only them. */
export interface ButtonClick {
  readonly userId: string;
  readonly value: string;
  /** Answers seen only by the person who pressed: through the message's response_url, else ephemeral. */
  readonly destination: Destination;
  /** For opening a form (valid 3 seconds). */
  readonly triggerId: string;
}

export function readButtonClick(body: BlockAction, action: ButtonAction): ButtonClick {
  const userId = body.user.id;
  return {
    userId,
    value: typeof action.value === 'string' ? action.value : '',
    destination: { channelId: body.channel?.id ?? userId, userId, ...(body.response_url ? { responseUrl: body.response_url } : {}) },
    triggerId: body.trigger_id,
  };
}
