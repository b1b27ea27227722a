import type { ApprovalPolicyConfig } from '../config.js';
import type { ApprovalReason } from './ledger/ledger.js';
import type { InvitationRequest } from './request.js';
import { inDomains } from './validation.js';

/** Why a request must wait for an approver under the installation's policy; undefined when it need not. */
export function approvalReason(request: InvitationRequest, policy: Pick<ApprovalPolicyConfig, 'required'>, internalDomains: readonly string[]): ApprovalReason | undefined {
  switch (policy.required) {
    case 'none':
      return undefined;
    case 'all':
      return 'all';
    case 'client':
      return request.service === 'kantata' && request.role === 'buyer' ? 'client' : undefined;
    case 'external':
      return request.invitees.some((invitee) => !inDomains(invitee.email, internalDomains)) ? 'external' : undefined;
  }
}

/** Approvers as configured: people by id, and user groups whose members count as approvers. */
export interface Approvers {
  readonly users: readonly string[];
  readonly usergroups: readonly string[];
}

export function approversOf(policy: ApprovalPolicyConfig): Approvers {
  return { users: policy.approverUsers, usergroups: policy.approverUsergroups };
}
