// Who may do what. RESPONDERS may acknowledge, escalate, request remediations and use /iam-audit;
// APPROVERS may do all that and approve remediations. Entries are user ids (U…/W…) or user group ids
// (S…); group membership comes from usergroups.users.list.
//
// Membership is refreshed after a minute (a burst of clicks must not hit Slack's Tier 2 limit) and is never
// trusted when older than ten minutes: someone removed from the approvers group must stop being an approver
// even while Slack cannot be asked. Then only user ids listed explicitly may act (fail closed).
import type { WebClient } from "@slack/web-api";
import { errorFields, type Logger } from "../log.js";

/** How long a membership answer is used before asking Slack again. */
const GROUP_REFRESH_MS = 60_000;
/** The oldest membership answer that may still grant anything when Slack cannot be asked. */
export const GROUP_MAX_AGE_MS = 10 * 60_000;

export class Authorizer {
  private readonly cache = new Map<string, { members: Set<string>; fetchedAt: number }>();
  /** Groups whose members cannot be known now (Slack failed and no answer under 10 minutes old). */
  private readonly unverified = new Set<string>();

  constructor(
    private readonly client: WebClient,
    private readonly responders: readonly string[],
    private readonly approvers: readonly string[],
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
    private readonly refreshMs = GROUP_REFRESH_MS,
    private readonly maxAgeMs = GROUP_MAX_AGE_MS,
  ) {}

  /** True when nobody at all is configured (every request will be refused; said once at start-up). */
  get nobodyConfigured(): boolean {
    return this.responders.length === 0 && this.approvers.length === 0;
  }

  /** User groups treated as empty right now because Slack could not be asked; for telling people why. */
  get unverifiedGroups(): string[] {
    return [...this.unverified];
  }

  async isApprover(userId: string): Promise<boolean> {
    return this.matches(userId, this.approvers);
  }

  /** Approvers are responders too. */
  async isResponder(userId: string): Promise<boolean> {
    return (await this.matches(userId, this.responders)) || (await this.matches(userId, this.approvers));
  }

  private async matches(userId: string, entries: readonly string[]): Promise<boolean> {
    if (entries.includes(userId)) return true;
    for (const entry of entries) {
      if (!entry.startsWith("S")) continue;
      const members = await this.groupMembers(entry);
      if (members.has(userId)) return true;
    }
    return false;
  }

  private async groupMembers(groupId: string): Promise<ReadonlySet<string>> {
    const hit = this.cache.get(groupId);
    const now = this.clock();
    if (hit && now - hit.fetchedAt < this.refreshMs) return hit.members;
    try {
      const res = await this.client.usergroups.users.list({ usergroup: groupId });
      const members = new Set(res.users ?? []);
      this.cache.set(groupId, { members, fetchedAt: this.clock() });
      this.unverified.delete(groupId);
      return members;
    } catch (err) {
      const ageMs = hit ? now - hit.fetchedAt : null;
      if (hit && ageMs !== null && ageMs <= this.maxAgeMs) {
        this.logger.warn({ usergroup: groupId, ageSeconds: Math.round(ageMs / 1000), ...errorFields(err) }, "could not refresh user group members; using the last answer (under 10 minutes old)");
        return hit.members;
      }
      // Fail closed: an old answer may name people who have since been removed from the group.
      this.unverified.add(groupId);
      this.logger.error(
        { usergroup: groupId, ageSeconds: ageMs === null ? null : Math.round(ageMs / 1000), ...errorFields(err) },
        "could not resolve user group members and the last answer is missing or over 10 minutes old; only user ids listed explicitly may act",
      );
      return new Set();
    }
  }
}
