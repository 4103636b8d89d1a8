// Classifies how a caller reached AWS (ClientKind) from the record's userAgent, with userIdentity.invokedBy,
// sessionCredentialFromConsole and the identity type as tie-breakers.
import type { ClientKind } from "../domain.js";

export interface ClientHints {
  userAgent?: string | undefined;
  invokedBy?: string | undefined;
  /** Record field sessionCredentialFromConsole ("true" or true in real records). */
  sessionCredentialFromConsole?: boolean | undefined;
  /** userIdentity.type. */
  actorType?: string | undefined;
}

/** A bare AWS service host name such as "lambda.amazonaws.com" or "console.ec2.amazonaws.com". */
const SERVICE_HOST_RE = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?$/i;

const TERRAFORM_RE = /\bterraform\b|\bhashicorp\//i;
const CLOUDFORMATION_RE = /^\[?cloudformation\.amazonaws\.com\]?$/i;
const CLI_RE = /\baws-cli\//i;
/** Console host names (console.amazonaws.com, console.ec2.amazonaws.com, signin.amazonaws.com). */
const CONSOLE_HOST_RE = /^\[?(?:console(?:\.[a-z0-9-]+)*|signin)\.amazonaws\.com(?:\.cn)?\]?$/i;
/** Browsers, and console back-ends that name themselves: "[S3Console/0.4, aws-internal/3 ...]", "RDS Console, ...". */
const CONSOLE_UA_RE = /Mozilla\/|[A-Za-z0-9]Console\/|\bConsole[,/ ]/;
const SDK_RE = /aws-sdk-|\bboto3\b|\bbotocore\b|\baws-sdk\b/i;
const AWS_INTERNAL_RE = /^\[?AWS Internal(?:\/\d+)?\]?$|\baws-internal\//i;

function stripBrackets(s: string): string {
  const t = s.trim();
  return t.startsWith("[") && t.endsWith("]") ? t.slice(1, -1).trim() : t;
}

/**
 * Order matters; first match wins:
 * 1. terraform: "Terraform" / "HashiCorp/" anywhere (its UA also names aws-sdk-go, so before sdk).
 * 2. cloudformation: UA or invokedBy is cloudformation.amazonaws.com.
 * 3. cli: "aws-cli/" (its UA also names botocore, so before sdk).
 * 4. console: console/signin host names, browsers ("Mozilla/"), "XxxConsole/" UAs, and "AWS Internal" when
 *    sessionCredentialFromConsole is true (console actions that AWS performs for the signed-in user).
 * 5. aws-service: "AWS Internal" or "aws-internal/" (AWS back-ends; their UA also names aws-sdk-java).
 * 6. sdk: aws-sdk-*, Boto3, botocore; then aws-service for a UA that is an AWS service host name.
 * 7. invokedBy, when the UA said nothing useful: a console host -> console; another AWS service host or
 *    "AWS Internal" -> aws-service. Then an identity of type AWSService -> aws-service.
 * 8. unknown (including made-up UAs such as "python-requests/2.x" or tool names).
 */
export function classifyClient(hints: ClientHints): ClientKind {
  const ua = stripBrackets(hints.userAgent ?? "");
  const invokedBy = stripBrackets(hints.invokedBy ?? "");

  if (TERRAFORM_RE.test(ua)) return "terraform";
  if (CLOUDFORMATION_RE.test(ua) || CLOUDFORMATION_RE.test(invokedBy)) return "cloudformation";
  if (CLI_RE.test(ua)) return "cli";
  if (CONSOLE_HOST_RE.test(ua) || CONSOLE_UA_RE.test(ua)) return "console";
  if (hints.sessionCredentialFromConsole === true && (ua === "" || AWS_INTERNAL_RE.test(ua))) return "console";
  // AWS's own back-ends call through aws-sdk-java but mark themselves "aws-internal/": check before sdk.
  if (AWS_INTERNAL_RE.test(ua)) return "aws-service";
  if (SDK_RE.test(ua)) return "sdk";
  if (SERVICE_HOST_RE.test(ua)) return "aws-service";
  if (CONSOLE_HOST_RE.test(invokedBy)) return "console";
  if (SERVICE_HOST_RE.test(invokedBy) || AWS_INTERNAL_RE.test(invokedBy)) return "aws-service";
  if (hints.actorType === "AWSService") return "aws-service";
  return "unknown";
}
