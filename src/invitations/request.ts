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

/** What a person asked for, before anything was checked: every field may be missing or wrong. */
export interface InvitationDraft {
  readonly service?: string;
  readonly workspaceId?: string;
  readonly invitees: readonly { readonly email: string; readonly fullName?: string }[];
  readonly role?: string;
  readonly subject?: string;
  readonly message?: string;
  readonly requestedBy: Requester;
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
