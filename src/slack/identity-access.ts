import type { Acting, Accounts } from '../identity/accounts.js';
import type { Person } from '../identity/link-store.js';
import type { LinkedClients } from '../identity/linked-clients.js';
import type { ServiceName } from '../invitations/request.js';
import type { WorkspaceDirectory } from '../invitations/workspaces.js';

/** How the person acts in each service, and the workspace directory that searches as they would. */
export interface PersonalView {
  readonly directory: WorkspaceDirectory;
  readonly acting: Readonly<Partial<Record<ServiceName, Acting>>>;
}

/**
 * The listeners' view of people's identities: how someone acts in a service (their linked account, the
 * bot's shared one, or "connect first"), the workspace directory as they see it, and connect links. With
 * linking not configured everyone acts with the shared accounts, as before linking existed.
 */
export class IdentityAccess {
  constructor(
    private readonly shared: WorkspaceDirectory,
    private readonly linking?: { readonly accounts: Accounts; readonly clients: LinkedClients },
  ) {}

  get configured(): boolean {
    return this.linking !== undefined;
  }

  get accounts(): Accounts | undefined {
    return this.linking?.accounts;
  }

  async acting(person: Person, service: ServiceName): Promise<Acting> {
    return this.linking ? this.linking.accounts.acting(person, service) : { kind: 'shared' };
  }

  async view(person: Person, services: readonly ServiceName[]): Promise<PersonalView> {
    if (!this.linking) return { directory: this.shared, acting: Object.fromEntries(services.map((service) => [service, { kind: 'shared' } as const])) };
    return this.linking.clients.directoryFor(person, services);
  }

  connectUrl(person: Person, service: ServiceName, pending: object): Promise<string> {
    if (!this.linking) throw new Error('linking is not configured');
    return this.linking.accounts.connectUrl(person, service, pending);
  }
}

/** The Slack person behind a request, as the link store keys them. */
export function personOf(requester: { readonly userId: string; readonly teamId?: string }): Person {
  return { teamId: requester.teamId ?? '', userId: requester.userId };
}

/** The services of `view` the person cannot use until they connect (or reconnect) their account. */
export function needingLink(view: PersonalView, services: readonly ServiceName[]): Extract<Acting, { kind: 'needs_link' }>[] {
  return services.flatMap((service) => {
    const acting = view.acting[service];
    return acting?.kind === 'needs_link' ? [acting] : [];
  });
}
