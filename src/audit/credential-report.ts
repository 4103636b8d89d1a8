// Gets the IAM credential report: GenerateCredentialReport until COMPLETE (within the wait budget,
// sleeping with deps.sleep), then GetCredentialReport, regenerating when the report is absent or expired.
import { DEFAULT_CREDENTIAL_REPORT_WAIT_MS, defaultSleep, type CheckContext } from "./context.js";
import { parseCredentialReport, type CredentialReportRow } from "./csv.js";
import { AuditCallError, hasErrorCode } from "./errors.js";
import { iamGateway } from "../aws/iam-gateway.js";

const FIRST_POLL_MS = 500;
const MAX_POLL_MS = 4_000;

export interface CredentialReport {
  generatedTime?: Date;
  rows: CredentialReportRow[];
}

function decodeContent(content: Uint8Array | string | undefined): string {
  if (content === undefined) return "";
  if (typeof content === "string") return Buffer.from(content, "base64").toString("utf8");
  return new TextDecoder("utf-8").decode(content);
}

export async function fetchCredentialReport(ctx: CheckContext): Promise<CredentialReport> {
  const { iam } = ctx.deps;
  const budget = Math.max(0, ctx.deps.credentialReportWaitMs ?? DEFAULT_CREDENTIAL_REPORT_WAIT_MS);
  const sleep = ctx.deps.sleep ?? defaultSleep;
  let waited = 0;
  let interval = FIRST_POLL_MS;
  let lastState = "unknown";
  for (;;) {
    const gen = await ctx.call("iam", "GenerateCredentialReport", () =>
      iamGateway(iam).generateCredentialReport(),
    );
    lastState = gen.State ?? "unknown";
    if (gen.State === "COMPLETE") {
      try {
        const res = await ctx.call("iam", "GetCredentialReport", () => iamGateway(iam).getCredentialReport());
        const out: CredentialReport = { rows: parseCredentialReport(decodeContent(res.Content)) };
        if (res.GeneratedTime) out.generatedTime = res.GeneratedTime;
        return out;
      } catch (err) {
        const cause = err instanceof AuditCallError ? err.cause : err;
        // Not ready yet, or gone between the two calls: generate again and keep polling.
        if (
          !hasErrorCode(cause, "ReportInProgress") &&
          !hasErrorCode(cause, "ReportNotPresent") &&
          !hasErrorCode(cause, "ReportExpired") &&
          !hasErrorCode(cause, "CredentialReportNotReady") &&
          !hasErrorCode(cause, "CredentialReportNotPresent") &&
          !hasErrorCode(cause, "CredentialReportExpired")
        ) {
          throw err;
        }
        lastState = err instanceof AuditCallError ? err.info.errorName : "ReportInProgress";
      }
    }
    if (waited >= budget) {
      throw new AuditCallError(
        {
          check: ctx.check,
          api: "GetCredentialReport",
          errorName: "ReportInProgress",
          message: `credential report was not ready after waiting ${waited} ms (last state: ${lastState})`,
        },
        undefined,
      );
    }
    const delay = Math.min(interval, budget - waited);
    await sleep(delay);
    waited += delay;
    interval = Math.min(interval * 2, MAX_POLL_MS);
  }
}
