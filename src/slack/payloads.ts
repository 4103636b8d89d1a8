// The one typed boundary for what Slack hands back to us: button values and modal private_metadata. Both
// come from a payload anyone in the workspace can forge (signed by Slack, but written by whoever clicks),
// so each has a zod codec that encodes what the builders put in and decodes, strictly, what arrives.
// A value that does not decode is refused by the listener; it is never repaired or guessed at.
import { z } from "zod";
import { LIMITS } from "./blocks/limits.js";

/** A codec between a JSON string and `schema`; decoding fails on bad JSON as on a bad shape. */
function jsonCodec<T extends z.ZodType>(schema: T): z.ZodCodec<z.ZodString, T> {
  return z.codec(z.string().max(LIMITS.buttonValue), schema, {
    decode: (text, ctx) => {
      try {
        const parsed: unknown = JSON.parse(text);
        return parsed as z.input<T>;
      } catch {
        ctx.issues.push({ code: "invalid_format", format: "json", input: text, message: "not JSON" });
        return z.NEVER;
      }
    },
    encode: (value) => JSON.stringify(value),
  });
}

/** Acknowledge / Escalate / Remediate on an alert (message or App Home): the CloudTrail event id. */
export const AlertButtonValue = z.string().min(1).max(200);

/** Approve / Reject on a remediation request: the request id (a UUID we generated). */
export const RequestButtonValue = z.string().min(1).max(100);

/**
 * Remediate on an audit finding: which stored report (`/iam-audit` or `/iam-audit user`) and which finding in
 * it. Nothing else: the remediation and its parameters are read back from the stored finding, so a forged
 * value can at most point at another finding that was really reported.
 */
export const AuditRemediateValue = jsonCodec(
  z.strictObject({
    report: z.number().int().positive(),
    finding: z.string().min(1).max(1000),
  }),
);
export type AuditRemediateValue = z.output<typeof AuditRemediateValue>;

/** private_metadata of the escalation and remediation modals: which alert they act on. */
export const ModalMetadata = jsonCodec(
  z.strictObject({
    eventId: z.string().min(1).max(200),
    channelId: z.string().max(40).optional(),
  }),
);
export type ModalMetadata = z.output<typeof ModalMetadata>;

/** The decoded value, or null when `raw` is not a string of the right shape. */
export function decodeOrNull<O>(codec: z.ZodType<O, string>, raw: unknown): O | null {
  if (typeof raw !== "string") return null;
  const res = codec.safeDecode(raw);
  return res.success ? res.data : null;
}
