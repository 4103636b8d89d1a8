// The one authorization middleware every button and form goes through. It acknowledges Slack first (Slack's
// 3 seconds), finds what the request acts on, then checks the clicker's role on the server from RESPONDERS /
// APPROVERS, whatever the message showed. A refusal is recorded (the same action record the workflow would
// have made, result "refused") and the clicker is told privately; the listener never runs. A request about
// something trailwatch does not know is answered by the rule and never reaches the listener either.
import type { NextFn, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, BlockButtonAction, ViewSubmitAction } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { errorFields } from "../../log.js";
import { recordAction } from "../../services/actions.js";
import type { ListenerDeps } from "./deps.js";

/** What a button listener receives from Bolt (the part it uses). */
export type ButtonArgs = Pick<SlackActionMiddlewareArgs<BlockButtonAction>, "ack" | "body" | "action" | "respond"> & { client: WebClient };
/** What a modal submission listener receives from Bolt (the part it uses). */
export type SubmitArgs = Pick<SlackViewMiddlewareArgs<ViewSubmitAction>, "ack" | "body" | "view"> & { client: WebClient };
export type GuardedArgs = ButtonArgs | SubmitArgs;

/** Approvers are responders too. */
export type Role = "responder" | "approver";

/** What a request acts on, as its refusal is recorded and told. */
export interface Subject {
  /** The recorded action name ("acknowledge", "remediation-approve", ...). */
  action: string;
  alertEventId: string | null;
  requestId: string | null;
  /** More of the refusal's detail, after the reason. */
  detail?: Record<string, unknown>;
  /** Where the refused user is told (privately). */
  channel: string | undefined;
  /** Someone allowed without the role: the requester may withdraw their own request. */
  alsoAllowed?: string;
}

export interface AccessRule<A extends GuardedArgs> {
  role: Role;
  /** The refusal's recorded reason. */
  reason: string;
  /** What the refused user is told. */
  text: string;
  /** Add why a user-group member may be refused while Slack cannot confirm membership. */
  explainMembership: boolean;
  /** What the request acts on; null when trailwatch does not know it. */
  subject: (deps: ListenerDeps, args: A) => Promise<Subject | null>;
  /** Answers a request about something unknown (default: nothing to say). */
  unknown?: (deps: ListenerDeps, args: A) => Promise<void>;
  /** Acknowledges Slack (default: at once, with nothing). */
  ack?: (args: A) => Promise<void>;
  /** Tells the refused user (default: an ephemeral message in the subject's channel). */
  tell?: (deps: ListenerDeps, args: A, text: string) => Promise<void>;
}

/** Whether the user holds the role (a check that throws stops the request: nothing runs). */
export async function hasRole(deps: ListenerDeps, user: string, role: Role): Promise<boolean> {
  return role === "approver" ? deps.auth.isApprover(user) : deps.auth.isResponder(user);
}

/** The Bolt listener middleware enforcing `rule`; the listener after it runs only for an allowed user. */
export function authorize<A extends GuardedArgs>(deps: ListenerDeps, rule: AccessRule<A>): (args: A & { next: NextFn }) => Promise<void> {
  return async (args) => {
    await (rule.ack ? rule.ack(args) : args.ack());
    const user = args.body.user.id;
    const subject = await rule.subject(deps, args);
    if (!subject) {
      await rule.unknown?.(deps, args);
      return;
    }
    if (subject.alsoAllowed !== user && !(await hasRole(deps, user, rule.role))) {
      await recordAction(deps, {
        actor: user,
        action: subject.action,
        alertEventId: subject.alertEventId,
        requestId: subject.requestId,
        result: "refused",
        detail: { reason: rule.reason, ...subject.detail },
      });
      const text = rule.text + (rule.explainMembership ? membershipNote(deps) : "");
      await (rule.tell ? rule.tell(deps, args, text) : tellUser(args.client, deps, subject.channel, user, text));
      return;
    }
    await args.next();
  };
}

/** A private (ephemeral) message to one user in a channel; failures are logged, never thrown. */
export async function tellUser(client: WebClient, deps: Pick<ListenerDeps, "config" | "logger">, channel: string | undefined, user: string, text: string, threadTs?: string): Promise<void> {
  try {
    await client.chat.postEphemeral({ channel: channel ?? deps.config.alertChannelId, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
  } catch (err) {
    deps.logger.warn({ user, ...errorFields(err) }, "could not send ephemeral message");
  }
}

/**
 * Appended to a refusal when user-group membership cannot be confirmed with Slack right now, so a group
 * member who is refused knows why (and that it is not their permissions that changed).
 */
export function membershipNote(deps: Pick<ListenerDeps, "auth">): string {
  return deps.auth.unverifiedGroups.length > 0
    ? " Slack cannot confirm user-group membership right now, so only people listed by user id may act; try again in a few minutes."
    : "";
}
