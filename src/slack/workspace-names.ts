import type { ServiceName } from '../invitations/request.js';
import type { Workspace } from '../invitations/workspaces.js';
import { SERVICE_LABELS, slackText } from '../messages.js';
import { workspaceLabel, type InviteContext, type PendingInvite } from './invite-flow.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { workspaceMrkdwn } from './render.js';

/** What a workspace typed by name comes to, with the mrkdwn to show where people must be told. */
export type NamedWorkspace =
  | { readonly kind: 'found'; readonly pending: PendingInvite }
  | { readonly kind: 'choose'; readonly candidates: readonly Workspace[]; readonly problemMrkdwn: string }
  | { readonly kind: 'refused'; readonly reason: 'workspace_not_found' | 'workspace_lookup_failed'; readonly problemMrkdwn: string };

/** `Kantata OX *<link|Acme Rollout>* (12345)`: how a candidate is listed in a message. */
export function candidateMrkdwn(workspace: Workspace, context: Pick<InviteContext, 'workspaceUrl'>): string {
  return `${SERVICE_LABELS[workspace.service]} ${workspaceMrkdwn(workspace.id, workspaceLabel(context, workspace.service, workspace.id, workspace.title))}`;
}

/**
 * Looks up `name` in the services in `scope` (time-boxed by the directory and `timeoutMs`) and fills the
 * workspace into `pending` when exactly one fits.
 */
export async function resolveNamedWorkspace(
  pending: PendingInvite,
  name: string,
  scope: readonly ServiceName[],
  context: Pick<InviteContext, 'workspaces' | 'workspaceUrl'>,
  timeoutMs: number,
): Promise<NamedWorkspace> {
  const found = await context.workspaces.resolveName(pending.requester.userId, scope, name, timeoutMs);
  const nameMrkdwn = escapeMrkdwn(name);
  const listed = (workspaces: readonly Workspace[]) => workspaces.map((workspace) => candidateMrkdwn(workspace, context));
  switch (found.kind) {
    case 'one':
      return {
        kind: 'found',
        pending: {
          ...pending,
          fields: { ...pending.fields, service: found.workspace.service, workspaceId: found.workspace.id },
          workspaceTitle: found.workspace.title,
        },
      };
    case 'several':
      return { kind: 'choose', candidates: found.candidates, problemMrkdwn: slackText.workspaceAmbiguous(nameMrkdwn, listed(found.candidates)) };
    case 'none':
      return {
        kind: 'refused',
        reason: 'workspace_not_found',
        problemMrkdwn: slackText.workspaceNotFound(nameMrkdwn, scope.map((service) => SERVICE_LABELS[service]), listed(found.closest)),
      };
    case 'unavailable':
      return {
        kind: 'refused',
        reason: 'workspace_lookup_failed',
        problemMrkdwn: slackText.workspaceLookupFailed(nameMrkdwn, SERVICE_LABELS[found.service], found.reason === 'timeout'),
      };
  }
}
