import type { App } from '@slack/bolt';
import type { AppHome } from '../app-home.js';
import type { HandledInteraction } from '../interactions.js';
import type { InviteContext } from '../invite-flow.js';
import { APPROVE_REQUEST, registerApproveRequest } from './approve-request.js';
import { DENY_REASON_SUBMISSION, registerDenyReasonSubmission } from './deny-reason-submission.js';
import { DENY_REQUEST, registerDenyRequest, type DenyRequestContext } from './deny-request.js';
import { APP_HOME_OPENED, registerAppHomeOpened } from './app-home-opened.js';
import { HOME_DISCONNECT, registerHomeDisconnect } from './home-disconnect.js';
import { registerInviteCommand } from './invite-command.js';
import { INVITE_MODAL_SUBMISSION, registerInviteModalSubmission } from './invite-modal-submission.js';
import { registerRetryInvitees, RETRY_INVITEES } from './retry-invitees.js';
import { registerWorkspaceOptions, WORKSPACE_OPTIONS } from './workspace-options.js';
import { registerWorkspaceSelected, WORKSPACE_SELECTED } from './workspace-selected.js';

/** The interactions the listeners below answer; the receivers answer every other one with an empty 200 at once. */
export const HANDLED_INTERACTIONS: readonly HandledInteraction[] = [
  INVITE_MODAL_SUBMISSION,
  WORKSPACE_OPTIONS,
  WORKSPACE_SELECTED,
  HOME_DISCONNECT,
  APPROVE_REQUEST,
  DENY_REQUEST,
  DENY_REASON_SUBMISSION,
  ...RETRY_INVITEES,
];

/** The Events API event types the listeners below answer; every other event is acknowledged and dropped at once. */
export const HANDLED_EVENTS: readonly string[] = [APP_HOME_OPENED];

/** Every listener the app has, registered in one place. */
export function registerListeners(app: App, context: InviteContext, home: AppHome, approvals: DenyRequestContext): void {
  registerInviteCommand(app, context);
  registerInviteModalSubmission(app, context);
  registerWorkspaceOptions(app, context);
  registerWorkspaceSelected(app, context);
  registerAppHomeOpened(app, home);
  registerHomeDisconnect(app, { identity: context.identity, home, logger: context.logger });
  registerApproveRequest(app, approvals);
  registerDenyRequest(app, approvals);
  registerDenyReasonSubmission(app, approvals);
  registerRetryInvitees(app, context);
}
