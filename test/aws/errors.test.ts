import { describe, expect, test } from "vitest";
import { classifyAwsError, TrailwatchError } from "../../src/aws/errors.js";

function sdkError(name: string, status?: number, message = "boom", extra: Record<string, unknown> = {}): Error {
  const e = new Error(message) as Error & Record<string, unknown>;
  e.name = name;
  if (status !== undefined) e.$metadata = { httpStatusCode: status };
  Object.assign(e, extra);
  return e;
}

describe("classifyAwsError", () => {
  test("a denial names the permission from AWS's message", () => {
    const err = sdkError("AccessDeniedException", 400, "User: arn:aws:sts::1:assumed-role/x/y is not authorized to perform: cloudtrail:LookupEvents because an explicit deny");
    expect(classifyAwsError(err, "cloudtrail:LookupEvents")).toMatchObject({ kind: "denied", missingPermission: "cloudtrail:LookupEvents" });
  });
  test("a denial without a permission in the message falls back to the action called", () => {
    expect(classifyAwsError(sdkError("AccessDenied", 403), "iam:GetRole")).toMatchObject({ kind: "denied", missingPermission: "iam:GetRole" });
  });
  test("Query-protocol errors carry their code in Code", () => {
    expect(classifyAwsError(sdkError("Error", 404, "x", { Code: "NoSuchEntity" })).kind).toBe("not-found");
  });
  test("throttling by name, by the SDK's retryable flag and by status", () => {
    expect(classifyAwsError(sdkError("ThrottlingException", 400)).kind).toBe("throttled");
    expect(classifyAwsError(sdkError("Whatever", 400, "x", { $retryable: { throttling: true } })).kind).toBe("throttled");
    expect(classifyAwsError(sdkError("Whatever", 429)).kind).toBe("throttled");
  });
  test("server errors and network errors are transient", () => {
    expect(classifyAwsError(sdkError("InternalFailure", 500)).kind).toBe("transient");
    const net = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    expect(classifyAwsError(net).kind).toBe("transient");
  });
  test("anything else is other", () => {
    expect(classifyAwsError(sdkError("ValidationException", 400)).kind).toBe("other");
    expect(classifyAwsError("a string").kind).toBe("other");
  });
});

test("TrailwatchError keeps a code and its cause", () => {
  const cause = new Error("inner");
  const err = new TrailwatchError("plan-drift", "the role changed", { cause });
  expect(err.code).toBe("plan-drift");
  expect(err.cause).toBe(cause);
  expect(err.name).toBe("TrailwatchError");
});
