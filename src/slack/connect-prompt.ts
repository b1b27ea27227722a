import type { KnownBlock } from '@slack/types';
import { linkText, modalText, SERVICE_LABELS } from '../messages.js';
import type { ServiceName } from '../invitations/request.js';
import { truncate } from './mrkdwn.js';
import { plainMessage, type SlackMessage } from './render.js';

/** A button's action_id for a connect link: Slack still sends a (signed) click, which is answered with an empty 200. */
export function connectActionId(service: ServiceName): string {
  return `connect_${service}`;
}

export interface ConnectButton {
  readonly service: ServiceName;
  readonly url: string;
  /** Reconnect a broken link, rather than connect a first one. */
  readonly reconnect?: boolean;
}

/** A Block Kit button that opens a single-use connect link in the browser. */
export function connectButton(button: ConnectButton): Record<string, unknown> {
  const label = SERVICE_LABELS[button.service];
  return {
    type: 'button',
    action_id: connectActionId(button.service),
    text: { type: 'plain_text', text: truncate(button.reconnect ? linkText.reconnectButton(label) : linkText.connectButton(label), 75), emoji: true },
    url: button.url,
    style: 'primary',
  };
}

/**
 * Only to the person: why their account is needed, and one button per service to connect. `textMrkdwn`
 * comes from messages.ts (already escaped where it quotes anything).
 */
export function connectPromptMessage(textMrkdwn: string, buttons: readonly ConnectButton[], contextMrkdwn?: string): SlackMessage {
  const message = plainMessage(textMrkdwn);
  const blocks = [
    ...message.blocks,
    { type: 'actions', block_id: 'connect', elements: buttons.slice(0, 5).map(connectButton) } as unknown as KnownBlock,
    ...(contextMrkdwn ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(contextMrkdwn, 2000) }] } as KnownBlock] : []),
  ];
  return { text: message.text, blocks };
}

/** The form, replaced in place by the connect prompt (a view_submission answer): the submission waits with the link. */
export function connectModalUpdate(message: SlackMessage) {
  return {
    response_action: 'update' as const,
    view: {
      type: 'modal' as const,
      title: { type: 'plain_text' as const, text: modalText.connectTitle },
      close: { type: 'plain_text' as const, text: modalText.connectClose },
      blocks: message.blocks,
    },
  };
}
