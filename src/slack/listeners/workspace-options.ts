import type { App } from '@slack/bolt';
import type { ServiceName } from '../../invitations/request.js';
import type { WorkspaceDirectory } from '../../invitations/workspaces.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import type { Authorizer } from '../authorization.js';
import type { HandledInteraction } from '../interactions.js';
import { personOf, type IdentityAccess } from '../identity-access.js';
import { workspaceMenuText } from '../../messages.js';
import { BLOCK_IDS, buildWorkspaceOptions, readInviteModal, refusedWorkspaceMenu, type WorkspaceSearchAnswer } from '../views/invite-modal.js';

export const WORKSPACE_OPTIONS: HandledInteraction = { type: 'block_suggestion', actionId: BLOCK_IDS.workspace };

/** Longest text searched for: a title, not an essay. */
const MAX_QUERY_LENGTH = 200;

export interface WorkspaceOptionsContext {
  readonly services: readonly ServiceName[];
  readonly workspaces: WorkspaceDirectory;
  /** Searches go as the person: with their linked account where they have one. */
  readonly identity: IdentityAccess;
  readonly authorizer: Authorizer;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The form's workspace menu, searched as the person types: the service chosen in the form, or every
 * service. The directory's time box keeps the answer inside Slack's 3 seconds; a service that is slow or
 * failing shows up as a warning entry rather than as an empty list.
 */
export function registerWorkspaceOptions(app: App, context: WorkspaceOptionsContext): void {
  const { services, identity, authorizer, logger, metrics } = context;

  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: BLOCK_IDS.workspace }, async ({ ack, body }) => {
    const userId = body.user.id;
    const query = typeof body.value === 'string' ? body.value.slice(0, MAX_QUERY_LENGTH) : '';
    const values = readInviteModal(body.view?.state?.values as Parameters<typeof readInviteModal>[0]);
    const chosen = services.find((service) => service === values.service);
    const scope = chosen ? [chosen] : services;
    // The permission check and the searches run side by side: both must fit in Slack's 3 seconds.
    const person = personOf({ userId, ...(body.user.team_id ? { teamId: body.user.team_id } : body.team?.id ? { teamId: body.team.id } : {}) });
    const [decision, answers] = await Promise.all([
      authorizer.check(userId),
      identity.view(person, scope).then((view) =>
        Promise.all(
          scope.map(async (service): Promise<WorkspaceSearchAnswer> => {
            if (view.acting[service]?.kind === 'needs_link') return { service, kind: 'unavailable', reason: 'not_linked' };
            const answer = await view.directory.search(userId, service, query);
            return answer.kind === 'found' ? { service, kind: 'found', workspaces: answer.workspaces } : { service, kind: 'unavailable', reason: answer.reason };
          }),
        ),
      ),
    ]);
    if (!decision.allowed) {
      logger.info({ event: 'workspace_search_denied', userId, reason: decision.reason }, 'workspace search refused');
      await ack(refusedWorkspaceMenu(workspaceMenuText.refused[decision.reason]()));
      metrics.request('options', 'denied');
      return;
    }
    await ack(buildWorkspaceOptions(answers, query));
    metrics.request('options', 'answered');
  });
}
