import { describe, expect, test } from "vitest";
import { classifyClient, normalizeRecord } from "../../src/cloudtrail/normalize.js";
import type { ClientKind } from "../../src/domain.js";

describe("classifyClient from the user agent", () => {
  const cases: [string, ClientKind][] = [
    // console
    ["console.amazonaws.com", "console"],
    ["console.ec2.amazonaws.com", "console"],
    ["signin.amazonaws.com", "console"],
    ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/84.0", "console"],
    ["[Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15]", "console"],
    ["[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10 OpenJDK_64-Bit_Server_VM/25.372]", "console"],
    ["RDS Console, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10", "console"],
    // cli (its UA also names botocore)
    ["aws-cli/2.13.5 Python/3.11.4 Linux/6.2.0 exe/x86_64.ubuntu.22 prompt/off command/iam.delete-role", "cli"],
    ["aws-cli/1.27.0 Python/3.9.5 Darwin/20.3.0 botocore/1.29.0", "cli"],
    ["[aws-cli/2.9.0 Python/3.9.11 Linux/5.4]", "cli"],
    // terraform (its UA also names aws-sdk-go)
    [
      "APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/3.76.1 aws-sdk-go/1.44.157",
      "terraform",
    ],
    ["[APN/1.0 HashiCorp/1.0 Terraform/1.5.0 (+https://www.terraform.io) terraform-provider-aws/5.0.0]", "terraform"],
    ["aws-sdk-go/1.44.0 (go1.19; darwin; amd64) APN/1.0 HashiCorp/1.0 Terraform/1.3.0", "terraform"],
    // cloudformation
    ["cloudformation.amazonaws.com", "cloudformation"],
    // sdk
    ["aws-sdk-go/1.44.157 (go1.19.3; linux; amd64)", "sdk"],
    ["aws-sdk-go-v2/1.17.3 os/linux lang/go/1.19.4 md/GOOS/linux", "sdk"],
    ["aws-sdk-java/1.12.488 Linux/5.10 OpenJDK_64-Bit_Server_VM/25.372", "sdk"],
    ["aws-sdk-js/3.400.0 ua/2.0 os/linux#5.10 lang/js md/nodejs#20.5.0", "sdk"],
    ["Boto3/1.26.0 Python/3.9.5 Darwin/20.3.0 Botocore/1.29.0", "sdk"],
    ["[Boto3/1.17.80 Python/3.9.5 Linux/5.4.0-generic Botocore/1.20.80]", "sdk"],
    ["botocore/1.29.0 Python/3.9", "sdk"],
    // aws-service
    ["lambda.amazonaws.com", "aws-service"],
    ["secretsmanager.amazonaws.com", "aws-service"],
    ["AWS Internal", "aws-service"],
    ["aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10", "aws-service"],
    // unknown
    ["", "unknown"],
    ["python-requests/2.25.1", "unknown"],
    ["stratus-red-team_21b27090-a535-432d-97e9-a519a2bda", "unknown"],
    ["...", "unknown"],
    ["TruffleHog", "unknown"],
  ];
  test.each(cases)("%j -> %s", (userAgent, kind) => {
    expect(classifyClient({ userAgent })).toBe(kind);
  });
});

describe("classifyClient tie-breakers", () => {
  test("AWS Internal with sessionCredentialFromConsole is the console", () => {
    expect(classifyClient({ userAgent: "AWS Internal", sessionCredentialFromConsole: true })).toBe("console");
    expect(classifyClient({ userAgent: "AWS Internal", sessionCredentialFromConsole: false })).toBe("aws-service");
  });

  test("sessionCredentialFromConsole does not override a real client UA (e.g. CLI in CloudShell)", () => {
    expect(classifyClient({ userAgent: "aws-cli/2.13.5 exec-env/CloudShell", sessionCredentialFromConsole: true })).toBe(
      "cli",
    );
  });

  test("invokedBy cloudformation makes it cloudformation", () => {
    expect(classifyClient({ userAgent: "AWS Internal", invokedBy: "cloudformation.amazonaws.com" })).toBe(
      "cloudformation",
    );
  });

  test("invokedBy another service is aws-service when the UA says nothing useful", () => {
    expect(classifyClient({ invokedBy: "ec2.amazonaws.com" })).toBe("aws-service");
    expect(classifyClient({ userAgent: "SampleUserAgent", invokedBy: "lambda.amazonaws.com" })).toBe("aws-service");
    expect(classifyClient({ userAgent: "Boto3/1.26.0", invokedBy: "lambda.amazonaws.com" })).toBe("sdk");
  });

  test("invokedBy signin.amazonaws.com (root console sign-in) is the console", () => {
    expect(classifyClient({ userAgent: "", invokedBy: "signin.amazonaws.com" })).toBe("console");
  });

  test("an AWSService identity without UA is aws-service", () => {
    expect(classifyClient({ actorType: "AWSService" })).toBe("aws-service");
    expect(classifyClient({ actorType: "IAMUser" })).toBe("unknown");
  });
});

describe("client in normalizeRecord", () => {
  test("reads sessionCredentialFromConsole as the string 'true' or a boolean", () => {
    const base = { userAgent: "AWS Internal", userIdentity: { type: "AssumedRole" } };
    expect(normalizeRecord({ ...base, sessionCredentialFromConsole: "true" }).client).toBe("console");
    expect(normalizeRecord({ ...base, sessionCredentialFromConsole: true }).client).toBe("console");
    expect(normalizeRecord(base).client).toBe("aws-service");
  });

  test("uses userIdentity.invokedBy", () => {
    const ev = normalizeRecord({
      userAgent: "cloudformation.amazonaws.com",
      userIdentity: { type: "AssumedRole", invokedBy: "cloudformation.amazonaws.com" },
    });
    expect(ev.client).toBe("cloudformation");
  });
});
