import type { App } from '@slack/bolt';
import type { WorkQueue } from '../../work-queue.js';
import type { InviteContext } from '../invite-flow.js';
import { registerInviteCommand } from './invite-command.js';
import { registerInviteModalSubmission } from './invite-modal-submission.js';
import { registerWorkspaceOptions } from './workspace-options.js';

/** Every listener the app has, registered in one place. */
export function registerListeners(app: App, context: InviteContext & { queue: WorkQueue }): void {
  registerInviteCommand(app, context);
  registerInviteModalSubmission(app, context);
  registerWorkspaceOptions(app, context);
}
