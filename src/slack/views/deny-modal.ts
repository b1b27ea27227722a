import type { ModalView } from '@slack/types';
import type { RequestReport } from '../../invitations/ledger/ledger.js';
import { approvalText } from '../../messages.js';
import { toSend } from '../approval-render.js';
import { userMention } from '../mrkdwn.js';
import { section, workspaceMrkdwn, type WorkspaceLabel } from '../render.js';

export const DENY_MODAL_CALLBACK_ID = 'deny_request_reason';
export const DENY_REASON_BLOCK = 'reason';
/** Long enough for a sentence or two; the requester reads it in a direct message. */
export const DENY_REASON_LIMIT = 500;

/** Which request the form denies, and where the Deny button was (to answer there). */
export interface DenyModalMetadata {
  readonly ref: string;
  readonly channelId?: string;
}

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });

export function buildDenyModal(report: RequestReport, label: WorkspaceLabel, metadata: DenyModalMetadata): ModalView {
  const { request } = report;
  return {
    type: 'modal',
    callback_id: DENY_MODAL_CALLBACK_ID,
    private_metadata: JSON.stringify(metadata),
    title: plain(approvalText.denyModalTitle),
    submit: plain(approvalText.denyModalSubmit),
    close: plain(approvalText.denyModalClose),
    blocks: [
      section(approvalText.denyModalIntro(userMention(request.userId), toSend(report), workspaceMrkdwn(request.workspaceId, label))),
      {
        type: 'input',
        block_id: DENY_REASON_BLOCK,
        optional: true,
        label: plain(approvalText.denyReasonLabel),
        hint: plain(approvalText.denyReasonHint),
        element: { type: 'plain_text_input', action_id: DENY_REASON_BLOCK, multiline: true, max_length: DENY_REASON_LIMIT },
      },
    ],
  };
}

export function decodeDenyMetadata(text: string | undefined): DenyModalMetadata | undefined {
  try {
    const value = JSON.parse(text ?? '') as Partial<DenyModalMetadata>;
    if (typeof value.ref !== 'string') return undefined;
    return { ref: value.ref, ...(typeof value.channelId === 'string' ? { channelId: value.channelId } : {}) };
  } catch {
    return undefined;
  }
}

/** The reason typed, trimmed and cut to the limit; undefined when left empty. */
export function readDenyReason(values: Record<string, Record<string, { value?: string | null }>> | undefined): string | undefined {
  const typed = values?.[DENY_REASON_BLOCK]?.[DENY_REASON_BLOCK]?.value?.trim();
  return typed ? [...typed].slice(0, DENY_REASON_LIMIT).join('') : undefined;
}
