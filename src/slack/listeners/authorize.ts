// The one authorization middleware every button, form and command goes through. It acknowledges Slack first
// (Slack's 3 seconds), finds what the request acts on, then checks the user's role on the server from
// RESPONDERS / APPROVERS, whatever the message showed. A refusal is recorded (the same action record the
// workflow would have made, result "refused") and the user is told privately; the listener never runs. A role
// check that fails is a refusal (fail closed). A request about something trailwatch does not know is answered
// by the rule and never reaches the listener either.
//
// A slash command's acknowledgement can carry the answer, so a command's rule may wait a little for the role
// (`roleWaitMs`): a refusal known by then is told in the acknowledgement itself, anything else is acknowledged
// with an interim answer and told through the response URL. A slow user-group look-up therefore never makes
// Slack time out, and nothing is answered before the role is known.
import type { AllMiddlewareArgs, NextFn, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs, SlackViewMiddlewareArgs, BlockButtonAction, ViewSubmitAction } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { errorFields } from "../../log.js";
import { recordAction } from "../../services/actions.js";
import { within } from "../../within.js";
import type { ListenerDeps } from "./deps.js";

/** What a button listener receives from Bolt (the part it uses). */
export type ButtonArgs = Pick<SlackActionMiddlewareArgs<BlockButtonAction>, "ack" | "body" | "action" | "respond"> & { client: WebClient };
/** What a modal submission listener receives from Bolt (the part it uses). */
export type SubmitArgs = Pick<SlackViewMiddlewareArgs<ViewSubmitAction>, "ack" | "body" | "view"> & { client: WebClient };
/** What a slash command listener receives from Bolt (the part it uses); `context` is shared with the middleware. */
export type CommandArgs = Pick<SlackCommandMiddlewareArgs, "command" | "ack" | "respond"> & Pick<AllMiddlewareArgs, "context">;
/** The interactive requests: a click or a form. */
export type InteractiveArgs = ButtonArgs | SubmitArgs;
/** Everything the middleware guards. */
export type GuardedArgs = InteractiveArgs | CommandArgs;

/** Approvers are responders too. */
export type Role = "responder" | "approver";

/** What a request acts on, as its refusal is recorded and told. */
interface Subject {
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
  /**
   * How long the role check may take before Slack is acknowledged (default: no wait, acknowledged at once and
   * checked after). Keep it well under Slack's 3 seconds. A command refused within it is told in the ack.
   */
  roleWaitMs?: number;
  /**
   * Acknowledges Slack (default: at once, with nothing). With `roleWaitMs`, `early` says whether the role check
   * allowed the user within that wait (true), or has not answered yet (undefined).
   */
  ack?: (args: A, early: true | undefined) => Promise<void>;
  /** Tells the refused user (default: an ephemeral message in the subject's channel; for a command, its response URL). */
  tell?: (deps: ListenerDeps, args: A, text: string) => Promise<void>;
}

/** Whether the user holds the role. */
export async function hasRole(deps: ListenerDeps, user: string, role: Role): Promise<boolean> {
  return role === "approver" ? deps.auth.isApprover(user) : deps.auth.isResponder(user);
}

/** The user a request comes from. */
const userOf = (args: GuardedArgs): string => ("command" in args ? args.command.user_id : args.body.user.id);

/** What the role check said; `failed` when it could not say (then never allowed). */
interface Verdict {
  allowed: boolean;
  failed?: string;
}

/** The Bolt listener middleware enforcing `rule`; the listener after it runs only for an allowed user. */
export function authorize<A extends GuardedArgs>(deps: ListenerDeps, rule: AccessRule<A>): (args: A & { next: NextFn }) => Promise<void> {
  return async (args) => {
    const user = userOf(args);
    // Asked once, and only when needed; a check that fails refuses (fail closed) and says why in the record.
    let check: Promise<Verdict> | undefined;
    const role = () =>
      (check ??= hasRole(deps, user, rule.role).then(
        (allowed): Verdict => ({ allowed }),
        (err: unknown): Verdict => {
          deps.logger.warn({ user, ...errorFields(err) }, "authorization check failed; refusing");
          return { allowed: false, failed: err instanceof Error ? err.message.slice(0, 200) : "unknown error" };
        },
      ));
    const refusal = () => rule.text + (rule.explainMembership ? membershipNote(deps) : "");
    const early = rule.roleWaitMs === undefined ? undefined : (await within(role(), rule.roleWaitMs))?.allowed;
    const req: GuardedArgs = args;
    // A command's acknowledgement carries its answer: a refusal already known is told there, nothing else.
    const toldInAck = early === false && "command" in req;
    if (toldInAck) await req.ack({ response_type: "ephemeral", text: refusal() });
    else await (rule.ack ? rule.ack(args, early === true ? true : undefined) : args.ack());
    const subject = await rule.subject(deps, args);
    if (!subject) {
      await rule.unknown?.(deps, args);
      return;
    }
    if (!toldInAck && subject.alsoAllowed === user) return args.next();
    const verdict = await role();
    if (!verdict.allowed) {
      await recordAction(deps, {
        actor: user,
        action: subject.action,
        alertEventId: subject.alertEventId,
        requestId: subject.requestId,
        result: "refused",
        detail: { reason: rule.reason, ...(verdict.failed === undefined ? {} : { roleCheckFailed: verdict.failed }), ...subject.detail },
      });
      if (!toldInAck) await (rule.tell ? rule.tell(deps, args, refusal()) : tellPrivately(deps, req, subject.channel, refusal()));
      return;
    }
    await args.next();
  };
}

/** The default way to tell a refusal: ephemeral in the channel, or through a command's response URL. */
async function tellPrivately(deps: ListenerDeps, args: GuardedArgs, channel: string | undefined, text: string): Promise<void> {
  if (!("command" in args)) return tellUser(args.client, deps, channel, args.body.user.id, text);
  try {
    await args.respond({ response_type: "ephemeral", text });
  } catch (err) {
    deps.logger.warn({ user: args.command.user_id, ...errorFields(err) }, "could not answer through the response URL");
  }
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
function membershipNote(deps: Pick<ListenerDeps, "auth">): string {
  return deps.auth.unverifiedGroups.length > 0
    ? " Slack cannot confirm user-group membership right now, so only people listed by user id may act; try again in a few minutes."
    : "";
}
