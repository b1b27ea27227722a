import type { App, BlockAction, BlockElementAction } from '@slack/bolt';
import type { TeamNames, WorkspaceDirectory } from '../../invitations/workspaces.js';
import type { Logger } from '../../logger.js';
import type { HandledInteraction } from '../interactions.js';
import { slackErrorCode } from '../slack-errors.js';
import type { UrgentSlack } from '../urgent-slack.js';
import { BLOCK_IDS, INVITE_MODAL_CALLBACK_ID, parseWorkspaceChoice, relabelRoles, type OpenView } from '../views/invite-modal.js';

export const WORKSPACE_SELECTED: HandledInteraction = { type: 'block_actions', actionId: BLOCK_IDS.workspace };

/** The form is open and nobody waits on this; still, labels that come late are worth less than none. */
const DETAILS_BUDGET_MS = 2_000;

export interface WorkspaceSelectedContext {
  readonly workspaces: WorkspaceDirectory;
  readonly slack: UrgentSlack;
  readonly logger: Logger;
}

/**
 * A workspace chosen in the form: the role menu takes that project's own team names ("Acme Corp
 * (client)"), or the general ones when it has none or they cannot be had in time. Acked first: the
 * lookup may take longer than Slack waits for an ack.
 */
export function registerWorkspaceSelected(app: App, context: WorkspaceSelectedContext): void {
  app.action<BlockAction<BlockElementAction>>({ type: 'block_actions', action_id: BLOCK_IDS.workspace }, async ({ ack, body, action }) => {
    await ack();
    const view = body.view;
    if (!view || view.callback_id !== INVITE_MODAL_CALLBACK_ID) return;
    const teams = await teamsOfChoice(context.workspaces, chosenValue(action));
    const updated = relabelRoles(openView(view), teams);
    if (updated) await updateForm(context, view.id, view.hash, updated);
  });
}

/** The menu's value: `service:id`, from either kind of workspace menu (search, or candidates). */
function chosenValue(action: BlockElementAction): string | undefined {
  return action.type === 'external_select' || action.type === 'static_select' ? action.selected_option?.value : undefined;
}

/** A Kantata project's team names; none for anything else, or when Kantata does not tell in time. */
async function teamsOfChoice(workspaces: WorkspaceDirectory, value: string | undefined): Promise<TeamNames | undefined> {
  const choice = value !== undefined ? parseWorkspaceChoice(value) : undefined;
  if (choice?.kind !== 'workspace' || choice.service !== 'kantata') return undefined;
  return (await workspaces.details(choice.service, choice.id, DETAILS_BUDGET_MS))?.teams;
}

function openView(view: NonNullable<BlockAction['view']>): OpenView {
  return {
    callback_id: view.callback_id,
    title: view.title,
    submit: view.submit,
    close: view.close,
    private_metadata: view.private_metadata,
    blocks: view.blocks,
  };
}

/**
 * A `hash_conflict` means the form was updated after this choice was made (by the answer to a later
 * choice): the newer one stands, so this answer is dropped rather than retried.
 */
async function updateForm(context: WorkspaceSelectedContext, viewId: string, hash: string, view: object): Promise<void> {
  try {
    await context.slack.updateView(viewId, hash, view);
  } catch (error) {
    context.logger.info({ event: 'form_update_failed', slackError: slackErrorCode(error) }, 'could not show the project’s team names in the form');
  }
}
