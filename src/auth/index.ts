// Who may do what. RESPONDERS may acknowledge, escalate, request remediations and use /iam-audit;
// APPROVERS may do all that and approve remediations. Entries are user ids (U…/W…) or user group ids
// (S…); group membership comes from usergroups.users.list, cached briefly so a burst of clicks does not
// hit Slack's Tier 2 limit, and so a removal from a group takes effect within a minute.
import type { WebClient } from "@slack/web-api";
import { errorFields, type Logger } from "../log.js";

export type Role = "responder" | "approver";

export class Authorizer {
  private readonly cache = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly responders: readonly string[],
    private readonly approvers: readonly string[],
    private readonly logger: Logger,
    private readonly ttlMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** True when nobody at all is configured (every request will be refused; said once at start-up). */
  get nobodyConfigured(): boolean {
    return this.responders.length === 0 && this.approvers.length === 0;
  }

  async isApprover(userId: string): Promise<boolean> {
    return this.matches(userId, this.approvers);
  }

  /** Approvers are responders too. */
  async isResponder(userId: string): Promise<boolean> {
    return (await this.matches(userId, this.responders)) || (await this.matches(userId, this.approvers));
  }

  async has(userId: string, role: Role): Promise<boolean> {
    return role === "approver" ? this.isApprover(userId) : this.isResponder(userId);
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

  private async groupMembers(groupId: string): Promise<Set<string>> {
    const hit = this.cache.get(groupId);
    if (hit && hit.until > this.clock()) return hit.members;
    try {
      const res = await this.client.usergroups.users.list({ usergroup: groupId });
      const members = new Set(res.users ?? []);
      this.cache.set(groupId, { members, until: this.clock() + this.ttlMs });
      return members;
    } catch (err) {
      // Fail closed: if Slack cannot tell us who is in the group, only the last known members (if any) count.
      this.logger.warn({ usergroup: groupId, ...errorFields(err) }, "could not resolve user group members; treating as empty");
      return hit?.members ?? new Set();
    }
  }
}
