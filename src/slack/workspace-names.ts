import type { InvitationDraft, ServiceName } from '../invitations/request.js';
import type { Workspace, WorkspaceDirectory } from '../invitations/workspaces.js';
import { SERVICE_LABELS, slackText, type Sender } from '../messages.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { workspaceMrkdwn } from './render.js';

interface NameContext {
  readonly services: readonly ServiceName[];
  readonly workspaces: WorkspaceDirectory;
  readonly workspaceUrl: (service: ServiceName, workspaceId: string) => string | undefined;
}

/** What a workspace typed by name comes to, with the mrkdwn to show where people must be told. */
export type NamedWorkspace =
  | { readonly kind: 'found'; readonly workspace: Workspace }
  | { readonly kind: 'choose'; readonly name: string; readonly candidates: readonly Workspace[]; readonly problemMrkdwn: string }
  | { readonly kind: 'refused'; readonly reason: 'workspace_not_found' | 'workspace_lookup_failed'; readonly problemMrkdwn: string };

/** `Kantata OX *<link|Acme Rollout>* (12345)`: how a candidate is listed in a message. */
export function candidateMrkdwn(workspace: Workspace, context: Pick<NameContext, 'workspaceUrl'>): string {
  const url = context.workspaceUrl(workspace.service, workspace.id);
  return `${SERVICE_LABELS[workspace.service]} ${workspaceMrkdwn(workspace.id, { title: workspace.title, ...(url ? { url } : {}) })}`;
}

function knownService(name: string | undefined, services: readonly ServiceName[]): ServiceName | undefined {
  const lower = name?.trim().toLowerCase();
  return services.find((service) => service === lower);
}

/**
 * Looks `name` up in the service the draft names (or every configured one), time-boxed by the directory
 * and `timeoutMs`: one match is the workspace, several are offered, none are reported with the closest.
 */
export async function resolveNamedWorkspace(name: string, draft: InvitationDraft, context: NameContext, timeoutMs: number, sender: Sender = 'bot'): Promise<NamedWorkspace> {
  const named = knownService(draft.service, context.services);
  const scope = named ? [named] : context.services;
  const found = await context.workspaces.resolveName(draft.requestedBy.userId, scope, name, timeoutMs);
  const nameMrkdwn = escapeMrkdwn(name);
  const listed = (workspaces: readonly Workspace[]) => workspaces.map((workspace) => candidateMrkdwn(workspace, context));
  switch (found.kind) {
    case 'one':
      return { kind: 'found', workspace: found.workspace };
    case 'several':
      return { kind: 'choose', name, candidates: found.candidates, problemMrkdwn: slackText.workspaceAmbiguous(nameMrkdwn, listed(found.candidates)) };
    case 'none':
      return {
        kind: 'refused',
        reason: 'workspace_not_found',
        problemMrkdwn: slackText.workspaceNotFound(nameMrkdwn, scope.map((service) => SERVICE_LABELS[service]), listed(found.closest), sender),
      };
    case 'unavailable':
      return {
        kind: 'refused',
        reason: 'workspace_lookup_failed',
        problemMrkdwn: slackText.workspaceLookupFailed(nameMrkdwn, SERVICE_LABELS[found.service], found.reason === 'timeout'),
      };
  }
}
