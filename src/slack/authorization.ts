import type { UrgentSlack } from './urgent-slack.js';
import type { Logger } from '../logger.js';
import { slackErrorCode } from './slack-errors.js';

export type Denial = 'guest' | 'bot' | 'deleted' | 'external' | 'not_allowed' | 'lookup_failed';

export type AuthorizationDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: Denial };

export interface AuthorizationPolicy {
  readonly allowedUsers: readonly string[];
  readonly allowedUsergroups: readonly string[];
}

/** Looked-up users and group memberships are reused this long: long enough to absorb bursts, short enough to follow changes. */
const CACHE_MS = 60_000;

interface Cached<T> {
  readonly value: T;
  readonly until: number;
}

interface UserFacts {
  readonly teamId?: string;
  readonly enterpriseId?: string;
  readonly deleted: boolean;
  readonly bot: boolean;
  readonly guest: boolean;
}

/**
 * Decides who may invite: never guests, bots, deactivated accounts or people from another organisation
 * (Slack Connect); then, where lists are configured, only listed users or members of listed user groups.
 */
export class Authorizer {
  private readonly users = new Map<string, Cached<UserFacts>>();
  private readonly groups = new Map<string, Cached<ReadonlySet<string>>>();
  private home: Promise<{ teamId?: string; enterpriseId?: string }> | undefined;

  constructor(
    private readonly slack: Pick<UrgentSlack, 'authTest' | 'userInfo' | 'usergroupMembers'>,
    private readonly policy: AuthorizationPolicy,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    /** The check runs before Slack's 3-second ack; past this it answers lookup_failed rather than be late. */
    private readonly timeoutMs = 2_000,
  ) {}

  get isOpenToAllMembers(): boolean {
    return this.policy.allowedUsers.length === 0 && this.policy.allowedUsergroups.length === 0;
  }

  async check(userId: string): Promise<AuthorizationDecision> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<AuthorizationDecision>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn({ event: 'authorization_timeout', userId, timeoutMs: this.timeoutMs }, 'checking the inviter took too long');
        resolve(deny('lookup_failed'));
      }, this.timeoutMs);
    });
    const decision = await Promise.race([this.decide(userId), late]);
    clearTimeout(timer);
    return decision;
  }

  private async decide(userId: string): Promise<AuthorizationDecision> {
    try {
      const [user, home] = await Promise.all([this.userFacts(userId), this.homeTeam()]);
      if (user.deleted) return deny('deleted');
      if (user.bot) return deny('bot');
      if (user.guest) return deny('guest');
      const sameEnterprise = home.enterpriseId !== undefined && user.enterpriseId === home.enterpriseId;
      if (!sameEnterprise && user.teamId !== home.teamId) return deny('external');
      if (this.isOpenToAllMembers || this.policy.allowedUsers.includes(userId)) return { allowed: true };
      for (const group of this.policy.allowedUsergroups) {
        if ((await this.members(group)).has(userId)) return { allowed: true };
      }
      return deny('not_allowed');
    } catch (error) {
      this.logger.warn({ event: 'authorization_lookup_failed', userId, slackError: slackErrorCode(error) }, 'could not check who is inviting');
      return deny('lookup_failed');
    }
  }

  private homeTeam(): Promise<{ teamId?: string; enterpriseId?: string }> {
    this.home ??= this.slack.authTest().then(
      (auth) => ({
        ...(typeof auth.team_id === 'string' ? { teamId: auth.team_id } : {}),
        ...(typeof auth.enterprise_id === 'string' && auth.enterprise_id ? { enterpriseId: auth.enterprise_id } : {}),
      }),
      (error: unknown) => {
        this.home = undefined;
        throw error;
      },
    );
    return this.home;
  }

  private async userFacts(userId: string): Promise<UserFacts> {
    const cached = this.users.get(userId);
    if (cached && cached.until > this.now()) return cached.value;
    const user = await this.slack.userInfo(userId);
    // Someone Slack does not know cannot be vouched for: refused as a failed lookup, never let through.
    if (!user) throw new Error(`users.info knows no ${userId}`);
    const facts: UserFacts = {
      deleted: user.deleted === true,
      bot: user.is_bot === true || user.is_app_user === true || userId === 'USLACKBOT',
      guest: user.is_restricted === true || user.is_ultra_restricted === true,
      ...(user.team_id ? { teamId: user.team_id } : {}),
      ...(user.enterprise_user?.enterprise_id ? { enterpriseId: user.enterprise_user.enterprise_id } : {}),
    };
    this.users.set(userId, { value: facts, until: this.now() + CACHE_MS });
    return facts;
  }

  private async members(group: string): Promise<ReadonlySet<string>> {
    const cached = this.groups.get(group);
    if (cached && cached.until > this.now()) return cached.value;
    const members = new Set(await this.slack.usergroupMembers(group));
    this.groups.set(group, { value: members, until: this.now() + CACHE_MS });
    return members;
  }
}

function deny(reason: Denial): AuthorizationDecision {
  return { allowed: false, reason };
}
