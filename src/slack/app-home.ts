import type { Config } from '../config.js';
import type { CheckResult } from '../doctor.js';
import type { Person } from '../identity/link-store.js';
import type { Ledger } from '../invitations/ledger/ledger.js';
import type { ServiceName } from '../invitations/request.js';
import type { Logger } from '../logger.js';
import type { IdentityAccess } from './identity-access.js';
import { slackErrorCode } from './slack-errors.js';
import type { UrgentSlack } from './urgent-slack.js';
import { buildAppHome, type HomeAccount, type HomeAdmin } from './views/app-home.js';

/** How many requests the Home tab lists: the person's own, and everyone's for admins. */
export const HOME_MINE = 20;
export const HOME_EVERYONE = 50;
const HOME_PENDING = 20;
/** The doctor's checks call Slack and both services: once a minute is plenty for a tab. */
const CHECKS_TTL_MS = 60_000;

export interface AppHomeDeps {
  readonly services: readonly ServiceName[];
  readonly admins: Config['admins'];
  readonly ledger: Ledger;
  readonly identity: IdentityAccess;
  readonly slack: Pick<UrgentSlack, 'publishView'>;
  readonly checks: () => Promise<readonly CheckResult[]>;
  readonly workspaceUrl: (service: ServiceName, workspaceId: string) => string | undefined;
  readonly logger: Logger;
  readonly now: () => number;
}

/** The checks, asked at most once a minute, and shared by everyone waiting on them meanwhile. */
export function cachedChecks(run: () => Promise<readonly CheckResult[]>, now: () => number): () => Promise<readonly CheckResult[]> {
  let cached: { readonly at: number; readonly results: Promise<readonly CheckResult[]> } | undefined;
  return () => {
    if (cached && now() - cached.at < CHECKS_TTL_MS) return cached.results;
    const results = run().catch(() => [] as readonly CheckResult[]);
    cached = { at: now(), results };
    return results;
  };
}

/**
 * The Home tab, built fresh for the person each time they open it (or change a link): `views.publish`
 * with the urgent client, since someone is looking at the tab and it must not wait behind outcome posts.
 */
export class AppHome {
  constructor(private readonly deps: AppHomeDeps) {}

  async publish(person: Person): Promise<void> {
    const { deps } = this;
    const isAdmin = deps.admins.includes(person.userId);
    const [accounts, mine, admin] = await Promise.all([
      this.accounts(person),
      deps.ledger.recent({ userId: person.userId, teamId: person.teamId }, HOME_MINE),
      isAdmin ? this.admin() : Promise.resolve(undefined),
    ]);
    const view = buildAppHome({ accounts, mine, ...(admin ? { admin } : {}), workspaceUrl: deps.workspaceUrl });
    try {
      await deps.slack.publishView(person.userId, view);
    } catch (error) {
      deps.logger.warn({ event: 'home_publish_failed', userId: person.userId, slackError: slackErrorCode(error) }, 'could not publish the Home tab');
    }
  }

  private async accounts(person: Person): Promise<HomeAccount[]> {
    const { identity } = this.deps;
    return Promise.all(
      this.deps.services.map(async (service): Promise<HomeAccount> => {
        const accounts = identity.accounts;
        if (!accounts?.linkable(service)) return { service, state: 'shared_only' };
        const link = await accounts.links.findLink(person, service);
        if (link?.status === 'active') return { service, state: 'linked', name: link.serviceUserName ?? link.serviceUserId, since: link.createdAt };
        const connectUrl = await accounts.connectUrl(person, service, { kind: 'none' });
        if (link) return { service, state: 'broken', name: link.serviceUserName ?? link.serviceUserId, connectUrl };
        return { service, state: 'unlinked', fallsBack: (await accounts.acting(person, service)).kind === 'shared', connectUrl };
      }),
    );
  }

  private async admin(): Promise<HomeAdmin> {
    const { deps } = this;
    const [everyone, checks, pending, links] = await Promise.all([
      deps.ledger.recent({}, HOME_EVERYONE),
      deps.checks(),
      deps.ledger.unfinished(HOME_PENDING),
      deps.identity.accounts ? deps.identity.accounts.links.linkCounts() : Promise.resolve([]),
    ]);
    return { everyone, checks, pending, links };
  }
}
