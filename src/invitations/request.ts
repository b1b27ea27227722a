export const SERVICE_NAMES = ['kantata', 'huddle'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const KANTATA_ROLES = ['maven', 'buyer'] as const;
export type KantataRole = (typeof KANTATA_ROLES)[number];

export interface Invitee {
  readonly email: string;
  readonly fullName?: string;
}

/** Who asked, as Slack identifies them; carried for audit and for the outcome message. */
export interface Requester {
  readonly userId: string;
  readonly teamId?: string;
  readonly channelId?: string;
}

/** Parts of a draft that must be looked up before it can be checked in full. */
export interface Unresolved {
  /** Slack colleagues mentioned or picked: Slack knows their addresses and names. */
  readonly colleagueIds: readonly string[];
  /** A workspace given by name, to be found in the services' own lists. */
  readonly workspaceName?: string;
}

/**
 * What a person asked for, from the command or the form, before anything was checked: every field may be
 * missing or wrong, and some may still be unresolved. The one request type from parsing to sending:
 * validation turns a complete draft into an InvitationRequest.
 */
export interface InvitationDraft {
  readonly service?: string;
  readonly workspaceId?: string;
  readonly invitees: readonly { readonly email: string; readonly fullName?: string }[];
  readonly role?: string;
  readonly subject?: string;
  readonly message?: string;
  readonly requestedBy: Requester;
  readonly unresolved?: Unresolved;
}

/** True while the draft names colleagues or a workspace that have not been looked up yet. */
export function hasUnresolved(draft: InvitationDraft): boolean {
  return (draft.unresolved?.colleagueIds.length ?? 0) > 0 || draft.unresolved?.workspaceName !== undefined;
}

interface ValidatedFields {
  readonly workspaceId: string;
  readonly invitees: readonly Invitee[];
  readonly message?: string;
  readonly requestedBy: Requester;
}

export interface KantataInvitationRequest extends ValidatedFields {
  readonly service: 'kantata';
  readonly role: KantataRole;
  readonly subject?: string;
}

export interface HuddleInvitationRequest extends ValidatedFields {
  readonly service: 'huddle';
}

/** A request that passed validation: only these are ever sent upstream. */
export type InvitationRequest = KantataInvitationRequest | HuddleInvitationRequest;
