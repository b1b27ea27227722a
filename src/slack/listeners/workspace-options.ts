import type { App } from '@slack/bolt';
import type { ServiceName } from '../../invitations/request.js';
import type { WorkspaceDirectory } from '../../invitations/workspaces.js';
import type { Logger } from '../../logger.js';
import type { Authorizer } from '../authorization.js';
import { BLOCK_IDS, buildWorkspaceOptions, readInviteModal, type WorkspaceSearchAnswer } from '../views/invite-modal.js';

/** Longest text searched for: a title, not an essay. */
const MAX_QUERY_LENGTH = 200;

export interface WorkspaceOptionsContext {
  readonly services: readonly ServiceName[];
  readonly workspaces: WorkspaceDirectory;
  readonly authorizer: Authorizer;
  readonly logger: Logger;
}

/**
 * The form's workspace menu, searched as the person types: the service chosen in the form, or every
 * service. The directory's time box keeps the answer inside Slack's 3 seconds; a service that is slow or
 * failing shows up as a warning entry rather than as an empty list.
 */
export function registerWorkspaceOptions(app: App, context: WorkspaceOptionsContext): void {
  const { services, workspaces, authorizer, logger } = context;

  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: BLOCK_IDS.workspace }, async ({ ack, body }) => {
    const userId = body.user.id;
    const query = typeof body.value === 'string' ? body.value.slice(0, MAX_QUERY_LENGTH) : '';
    const values = readInviteModal(body.view?.state?.values as Parameters<typeof readInviteModal>[0]);
    const chosen = services.find((service) => service === values.service);
    const scope = chosen ? [chosen] : services;
    // The permission check and the searches run side by side: both must fit in Slack's 3 seconds.
    const [decision, answers] = await Promise.all([
      authorizer.check(userId),
      Promise.all(
        scope.map(async (service): Promise<WorkspaceSearchAnswer> => {
          const answer = await workspaces.search(userId, service, query);
          return answer.kind === 'found' ? { service, kind: 'found', workspaces: answer.workspaces } : { service, kind: 'unavailable', reason: answer.reason };
        }),
      ),
    ]);
    if (!decision.allowed) {
      logger.info({ event: 'workspace_search_denied', userId, reason: decision.reason }, 'workspace search refused');
      await ack({ options: [] });
      return;
    }
    await ack(buildWorkspaceOptions(answers, query));
  });
}
