import type { App, BlockButtonAction } from '@slack/bolt';
import { SERVICE_NAMES, type ServiceName } from '../../invitations/request.js';
import type { Logger } from '../../logger.js';
import type { AppHome } from '../app-home.js';
import type { IdentityAccess } from '../identity-access.js';
import type { HandledInteraction } from '../interactions.js';
import { DISCONNECT_ACTION_ID } from '../views/app-home.js';

export const HOME_DISCONNECT: HandledInteraction = { type: 'block_actions', actionId: DISCONNECT_ACTION_ID };

export interface HomeDisconnectContext {
  readonly identity: IdentityAccess;
  readonly home: AppHome;
  readonly logger: Logger;
}

/** The Home tab's Disconnect button: the person's link for that service, tokens and all, is deleted; the tab shows it. */
export function registerHomeDisconnect(app: App, context: HomeDisconnectContext): void {
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: DISCONNECT_ACTION_ID }, async ({ ack, body, action }) => {
    await ack();
    const service = SERVICE_NAMES.find((name): name is ServiceName => name === action.value);
    const accounts = context.identity.accounts;
    if (!service || !accounts) return;
    const person = { teamId: body.user.team_id ?? body.team?.id ?? '', userId: body.user.id };
    const deleted = await accounts.links.deleteLink(person, service);
    context.logger.info({ event: 'account_unlinked', service, userId: person.userId, deleted }, 'a person disconnected their account');
    await context.home.publish(person);
  });
}
