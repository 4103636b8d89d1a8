import { describe, expect, test } from "vitest";
import { normalizeLookupEvent, normalizeRecord, parseTime } from "../../src/cloudtrail/normalize.js";
import { humanizeKey } from "../../src/cloudtrail/normalize-resources.js";
import { LIMITS, MAX_RESOURCES, bound } from "../../src/cloudtrail/normalize-values.js";

/** A successful DeleteRole by an IAM user, as in a CloudTrail log file. */
function deleteRole(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: "1.08",
    userIdentity: {
      type: "IAMUser",
      principalId: "AIDAEXAMPLE",
      arn: "arn:aws:iam::111122223333:user/alice",
      accountId: "111122223333",
      accessKeyId: "AKIAEXAMPLE",
      userName: "alice",
    },
    eventTime: "2023-07-10T12:07:25Z",
    eventSource: "iam.amazonaws.com",
    eventName: "DeleteRole",
    awsRegion: "us-east-1",
    sourceIPAddress: "192.0.2.10",
    userAgent: "aws-cli/2.13.5 Python/3.11.4 Linux/6.2 botocore/2.0",
    requestParameters: { roleName: "app-role" },
    responseElements: null,
    eventID: "9a8666dd-4850-4ef5-9417-069e5ae7ab21",
    readOnly: false,
    eventType: "AwsApiCall",
    recipientAccountId: "111122223333",
    ...overrides,
  };
}

describe("normalizeRecord: basic fields", () => {
  test("a plain IAM user deletion", () => {
    const ev = normalizeRecord(deleteRole());
    expect(ev).toEqual({
      eventId: "9a8666dd-4850-4ef5-9417-069e5ae7ab21",
      eventName: "DeleteRole",
      eventSource: "iam.amazonaws.com",
      eventTime: new Date("2023-07-10T12:07:25Z"),
      awsRegion: "us-east-1",
      accountId: "111122223333",
      actor: {
        type: "IAMUser",
        principalId: "AIDAEXAMPLE",
        arn: "arn:aws:iam::111122223333:user/alice",
        accountId: "111122223333",
        accessKeyId: "AKIAEXAMPLE",
        userName: "alice",
        mfaAuthenticated: null,
      },
      sourceIp: "192.0.2.10",
      userAgent: "aws-cli/2.13.5 Python/3.11.4 Linux/6.2 botocore/2.0",
      client: "cli",
      requestParameters: { roleName: "app-role" },
      resources: [{ kind: "roleName", label: "Role", value: "app-role" }],
      readOnly: false,
    });
  });

  test("accountId: recipientAccountId, else userIdentity.accountId, else empty", () => {
    expect(normalizeRecord(deleteRole()).accountId).toBe("111122223333");
    const noRecipient = deleteRole({ recipientAccountId: undefined });
    expect(normalizeRecord(noRecipient).accountId).toBe("111122223333");
    expect(normalizeRecord(deleteRole({ recipientAccountId: undefined, userIdentity: {} })).accountId).toBe("");
  });

  test("errorCode and errorMessage are kept; the strings 'null' and '' are ignored", () => {
    const denied = normalizeRecord(
      deleteRole({ errorCode: "AccessDenied", errorMessage: "User: x is not authorized", requestParameters: null }),
    );
    expect(denied.errorCode).toBe("AccessDenied");
    expect(denied.errorMessage).toBe("User: x is not authorized");
    const fixture = normalizeRecord(deleteRole({ errorCode: "null", errorMessage: "" }));
    expect(fixture.errorCode).toBeUndefined();
    expect(fixture.errorMessage).toBeUndefined();
    expect("errorCode" in fixture).toBe(false);
  });

  test("readOnly from booleans and from the strings 'true'/'false'", () => {
    expect(normalizeRecord(deleteRole({ readOnly: "false" })).readOnly).toBe(false);
    expect(normalizeRecord(deleteRole({ readOnly: "True" })).readOnly).toBe(true);
    expect(normalizeRecord(deleteRole({ readOnly: true })).readOnly).toBe(true);
    expect(normalizeRecord(deleteRole({ readOnly: "maybe" })).readOnly).toBeUndefined();
  });

  test("sourceIPAddress is kept as given, even when it is not an IP", () => {
    for (const ip of ["AWS Internal", "cloudformation.amazonaws.com", "06.237.252.245", "192.0.2.1, 198.51.100.2"]) {
      expect(normalizeRecord(deleteRole({ sourceIPAddress: ip })).sourceIp).toBe(ip);
    }
    expect(normalizeRecord(deleteRole({ sourceIPAddress: undefined })).sourceIp).toBe("");
  });

  test("fake regions and placeholders are kept raw", () => {
    const ev = normalizeRecord(deleteRole({ awsRegion: "megov-westwest-1r", eventID: "..." }));
    expect(ev.awsRegion).toBe("megov-westwest-1r");
    expect(ev.eventId).toBe("...");
  });

  test("Panther p_* fields are ignored", () => {
    const ev = normalizeRecord(deleteRole({ p_event_time: "2025-02-19 20:13:49", p_log_type: "AWS.CloudTrail" }));
    expect(ev.eventName).toBe("DeleteRole");
    expect(Object.keys(ev)).not.toContain("p_event_time");
  });

  test("strings are not escaped for Slack", () => {
    const ev = normalizeRecord(deleteRole({ requestParameters: { roleName: "<!channel> & *bold*" } }));
    expect(ev.resources[0]?.value).toBe("<!channel> & *bold*");
  });
});

describe("normalizeRecord: never throws", () => {
  const shapes: unknown[] = [
    null,
    undefined,
    42,
    "a string",
    [],
    [1, 2],
    {},
    { userIdentity: null },
    { userIdentity: "Root" },
    { userIdentity: { sessionContext: "x" } },
    { userIdentity: { sessionContext: { attributes: null, sessionIssuer: [] } } },
    { requestParameters: "null", responseElements: "null" },
    { requestParameters: [1, 2, 3] },
    { requestParameters: { a: { b: { c: 1 } }, d: [{ e: 1 }, null, 2] } },
    { eventTime: 1e300 },
    { eventTime: Number.NaN },
    { eventTime: {}, eventName: 7, eventSource: true },
    { resources: "nope" },
    { resources: [null, 1, { ARN: null }] },
  ];
  test.each(shapes.map((s) => [JSON.stringify(s) as string | undefined ?? String(s), s]))("%s", (_label, shape) => {
    const ev = normalizeRecord(shape);
    expect(ev.actor.type).toEqual(expect.any(String));
    expect(Array.isArray(ev.resources)).toBe(true);
  });

  test("non-objects get a parseError; objects do not", () => {
    expect(normalizeRecord(null).parseError).toBe("record is not a JSON object (got null)");
    expect(normalizeRecord([]).parseError).toBe("record is not a JSON object (got array)");
    expect(normalizeRecord({}).parseError).toBeUndefined();
  });

  test("throwing getters give an event with parseError instead of an exception", () => {
    const evil = {
      eventName: "DeleteRole",
      get userIdentity(): unknown {
        throw new Error("boom");
      },
    };
    const ev = normalizeRecord(evil);
    expect(ev.parseError).toMatch(/could not normalise record: boom/);
  });

  test("cyclic requestParameters do not hang or crash", () => {
    const params: Record<string, unknown> = { roleName: "r" };
    params["self"] = params;
    const ev = normalizeRecord(deleteRole({ requestParameters: params }));
    expect(ev.resources).toEqual([{ kind: "roleName", label: "Role", value: "r" }]);
  });
});

describe("normalizeRecord: actor", () => {
  test("missing userIdentity type defaults to Unknown", () => {
    const ev = normalizeRecord({ userIdentity: { accountId: "123", invokedBy: "ec2.amazonaws.com" } });
    expect(ev.actor).toEqual({ type: "Unknown", accountId: "123", invokedBy: "ec2.amazonaws.com", mfaAuthenticated: null });
  });

  test("no userIdentity at all", () => {
    expect(normalizeRecord({ eventName: "X" }).actor).toEqual({ type: "Unknown", mfaAuthenticated: null });
  });

  test("AWSService identity with only type and invokedBy", () => {
    const ev = normalizeRecord({ userIdentity: { type: "AWSService", invokedBy: "lambda.amazonaws.com" } });
    expect(ev.actor).toEqual({ type: "AWSService", invokedBy: "lambda.amazonaws.com", mfaAuthenticated: null });
    expect(ev.client).toBe("aws-service");
  });

  test("Root without userName; Root with an account alias", () => {
    const bare = normalizeRecord({
      userIdentity: { type: "Root", principalId: "111122223333", arn: "arn:aws:iam::111122223333:root", accessKeyId: "" },
    });
    expect(bare.actor.type).toBe("Root");
    expect(bare.actor.userName).toBeUndefined();
    expect(bare.actor.accessKeyId).toBeUndefined(); // "" counts as absent
    const alias = normalizeRecord({ userIdentity: { type: "Root", userName: "my-company-prod" } });
    expect(alias.actor.userName).toBe("my-company-prod");
  });

  test("AssumedRole: role from sessionIssuer, session from the ARN, MFA from the attributes", () => {
    const ev = normalizeRecord({
      userIdentity: {
        type: "AssumedRole",
        principalId: "AROAEXAMPLE:bob@example.com",
        arn: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/bob@example.com",
        accountId: "111122223333",
        accessKeyId: "ASIAEXAMPLE",
        sessionContext: {
          attributes: { creationDate: "2025-02-19T16:29:24Z", mfaAuthenticated: "true" },
          sessionIssuer: {
            type: "Role",
            principalId: "AROAEXAMPLE",
            arn: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc",
            accountId: "111122223333",
            userName: "AWSReservedSSO_Admin_abc",
          },
        },
      },
    });
    expect(ev.actor).toEqual({
      type: "AssumedRole",
      principalId: "AROAEXAMPLE:bob@example.com",
      arn: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/bob@example.com",
      accountId: "111122223333",
      accessKeyId: "ASIAEXAMPLE",
      roleArn: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc",
      roleName: "AWSReservedSSO_Admin_abc",
      sessionName: "bob@example.com",
      mfaAuthenticated: true,
    });
  });

  test("AssumedRole without sessionIssuer: role name parsed from the ARN, no invented role ARN", () => {
    const ev = normalizeRecord({
      userIdentity: { type: "AssumedRole", arn: "arn:aws:sts::111122223333:assumed-role/ops/session-1" },
    });
    expect(ev.actor.roleName).toBe("ops");
    expect(ev.actor.sessionName).toBe("session-1");
    expect(ev.actor.roleArn).toBeUndefined();
  });

  test("AssumedRole: sessionIssuer.userName wins over the ARN; ARN without a session part", () => {
    const ev = normalizeRecord({
      userIdentity: {
        type: "AssumedRole",
        principalId: "1111:tester",
        arn: "arn:aws:sts::123456789012:assumed-role/tester",
        sessionContext: { sessionIssuer: { userName: "issuer-name", arn: "arn:aws:iam::123456789012:role/tester" } },
      },
    });
    expect(ev.actor.roleName).toBe("issuer-name");
    expect(ev.actor.roleArn).toBe("arn:aws:iam::123456789012:role/tester");
    expect(ev.actor.sessionName).toBe("tester"); // from principalId ROLEID:SESSION
  });

  test("mfaAuthenticated: strings, booleans, absent", () => {
    const mfa = (v: unknown): boolean | null =>
      normalizeRecord({ userIdentity: { type: "AssumedRole", sessionContext: { attributes: { mfaAuthenticated: v } } } })
        .actor.mfaAuthenticated;
    expect(mfa("true")).toBe(true);
    expect(mfa("false")).toBe(false);
    expect(mfa(true)).toBe(true);
    expect(mfa(false)).toBe(false);
    expect(mfa(undefined)).toBeNull();
    expect(mfa("yes")).toBeNull();
  });

  test("lower-cased keys (as some exports write them) are read too", () => {
    const ev = normalizeRecord({
      userIdentity: {
        type: "AssumedRole",
        principalid: "ARO:alan",
        arn: "arn:aws:sts::112233445566:assumed-role/TestAdmin/alan",
        accountid: "112233445566",
        sessioncontext: {
          attributes: { mfaauthenticated: "true" },
          sessionissuer: { arn: "arn:aws:iam::112233445566:role/TestAdmin", username: "TestAdmin" },
        },
      },
    });
    expect(ev.actor.principalId).toBe("ARO:alan");
    expect(ev.actor.accountId).toBe("112233445566");
    expect(ev.actor.roleName).toBe("TestAdmin");
    expect(ev.actor.mfaAuthenticated).toBe(true);
  });

  test("FederatedUser and Unknown keep their type", () => {
    const fed = normalizeRecord({
      userIdentity: {
        type: "FederatedUser",
        principalId: "123456789012:federated-user",
        arn: "arn:aws:sts::123456789012:federated-user/federated-user",
        accountId: "123456789012",
      },
    });
    expect(fed.actor.type).toBe("FederatedUser");
    expect(fed.actor.roleName).toBeUndefined();
    const unknown = normalizeRecord({ userIdentity: { type: "Unknown", userName: "victim" } });
    expect(unknown.actor).toEqual({ type: "Unknown", userName: "victim", mfaAuthenticated: null });
  });

  test("IAMUser without userName: taken from the user ARN (path skipped)", () => {
    const ev = normalizeRecord({ userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111122223333:user/ops/carol" } });
    expect(ev.actor.userName).toBe("carol");
  });
});

describe("normalizeRecord: eventTime", () => {
  test.each([
    ["2023-07-10T12:07:23Z", "2023-07-10T12:07:23.000Z"],
    ["2025-02-19 20:13:49", "2025-02-19T20:13:49.000Z"],
    ["2021-01-24 04:55:45.000", "2021-01-24T04:55:45.000Z"],
    ["2022-12-11 19:42:55.123456789", "2022-12-11T19:42:55.123Z"],
    ["2022-12-11 19:42:55Z", "2022-12-11T19:42:55.000Z"],
    ["2021-11-18T09:41:02-08:00", "2021-11-18T17:41:02.000Z"],
    ["2021-11-18T09:41:02+0530", "2021-11-18T04:11:02.000Z"],
  ])("%s", (input, iso) => {
    expect(normalizeRecord({ eventTime: input }).eventTime?.toISOString()).toBe(iso);
  });

  test.each(["eventTime", "...", "redacted", "", "2023-02-30T00:00:00Z", "2023-13-01T00:00:00Z", "10/07/2023"])(
    "unparseable %j -> null",
    (input) => {
      expect(normalizeRecord({ eventTime: input }).eventTime).toBeNull();
    },
  );

  test("missing eventTime -> null; Date and epoch inputs", () => {
    expect(normalizeRecord({}).eventTime).toBeNull();
    expect(parseTime(new Date("2024-01-01T00:00:00Z"))?.toISOString()).toBe("2024-01-01T00:00:00.000Z");
    expect(parseTime(new Date("nope"))).toBeNull();
    expect(parseTime(1_700_000_000)?.toISOString()).toBe("2023-11-14T22:13:20.000Z");
    expect(parseTime(1_700_000_000_000)?.toISOString()).toBe("2023-11-14T22:13:20.000Z");
  });
});

describe("normalizeRecord: resources", () => {
  test("every scalar parameter in key order, with known labels", () => {
    const ev = normalizeRecord(
      deleteRole({
        eventName: "DetachRolePolicy",
        requestParameters: { roleName: "app", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
      }),
    );
    expect(ev.resources).toEqual([
      { kind: "roleName", label: "Role", value: "app" },
      { kind: "policyArn", label: "Policy ARN", value: "arn:aws:iam::aws:policy/AdministratorAccess" },
    ]);
  });

  test.each([
    ["instanceProfileName", "Instance profile"],
    ["policyName", "Inline policy"],
    ["userName", "User"],
    ["groupName", "Group"],
    ["accountAlias", "Account alias"],
    ["accessKeyId", "Access key"],
    ["serialNumber", "MFA device"],
    ["openIDConnectProviderArn", "OIDC provider"],
    ["clientID", "Client ID"],
    ["sAMLProviderArn", "SAML provider"],
    ["sSHPublicKeyId", "SSH public key"],
    ["serverCertificateName", "Server certificate"],
    ["serviceSpecificCredentialId", "Service credential"],
    ["certificateId", "Signing certificate"],
    ["versionId", "Policy version"],
    ["permissionsBoundary", "Permissions boundary"],
  ])("label for %s is %s", (key, label) => {
    const ev = normalizeRecord({ requestParameters: { [key]: "v" } });
    expect(ev.resources).toEqual([{ kind: key, label, value: "v" }]);
  });

  test("unknown keys get a humanised label", () => {
    expect(humanizeKey("someKeyName")).toBe("Some key name");
    expect(humanizeKey("sAMLMetadataDocument")).toBe("SAML metadata document");
    expect(humanizeKey("dBInstanceIdentifier")).toBe("DB instance identifier");
    expect(humanizeKey("max_items")).toBe("Max items");
    expect(humanizeKey("")).toBe("Value");
    const ev = normalizeRecord({ requestParameters: { someKeyName: "x" } });
    expect(ev.resources).toEqual([{ kind: "someKeyName", label: "Some key name", value: "x" }]);
  });

  test("numbers, booleans and arrays of scalars; nested objects, nulls and empty strings skipped", () => {
    const ev = normalizeRecord({
      requestParameters: {
        maxSessionDuration: 3600,
        passwordResetRequired: false,
        tagKeys: ["a", "b"],
        tags: [{ key: "k", value: "v" }],
        nested: { roleName: "hidden" },
        mixed: [1, { x: 1 }, null, true],
        nothing: null,
        empty: "",
      },
    });
    expect(ev.resources).toEqual([
      { kind: "maxSessionDuration", label: "Max session duration", value: "3600" },
      { kind: "passwordResetRequired", label: "Password reset required", value: "false" },
      { kind: "tagKeys", label: "Tag key", value: "a" },
      { kind: "tagKeys", label: "Tag key", value: "b" },
      { kind: "mixed", label: "Mixed", value: "1" },
      { kind: "mixed", label: "Mixed", value: "true" },
    ]);
  });

  test("requestParameters null / 'null' falls back to the record's resources[]", () => {
    for (const requestParameters of [null, "null", undefined]) {
      const ev = normalizeRecord(
        deleteRole({
          errorCode: "AccessDenied",
          requestParameters,
          resources: [
            { accountId: "111122223333", type: "AWS::IAM::Role", ARN: "arn:aws:iam::111122223333:role/app" },
            { accountId: "111122223333", ARN: "arn:aws:iam::111122223333:policy/p" },
            { type: "AWS::IAM::Role" },
          ],
        }),
      );
      expect(ev.requestParameters).toBeNull();
      expect(ev.resources).toEqual([
        { kind: "AWS::IAM::Role", label: "Role", value: "arn:aws:iam::111122223333:role/app" },
        { kind: "resource", label: "Resource", value: "arn:aws:iam::111122223333:policy/p" },
      ]);
    }
  });

  test("a stringified JSON object in requestParameters is parsed", () => {
    const ev = normalizeRecord({ requestParameters: '{"roleName":"r"}' });
    expect(ev.requestParameters).toEqual({ roleName: "r" });
    expect(ev.resources).toEqual([{ kind: "roleName", label: "Role", value: "r" }]);
  });

  test("values are bounded to 512 characters and at most 20 resources are kept", () => {
    const long = "x".repeat(5000);
    const params: Record<string, unknown> = { policyDocument: long, list: Array.from({ length: 50 }, (_, i) => i) };
    const ev = normalizeRecord({ requestParameters: params });
    expect(ev.resources).toHaveLength(MAX_RESOURCES);
    const first = ev.resources[0];
    expect(first?.value).toHaveLength(LIMITS.resourceValue);
    expect(first?.value.endsWith("…")).toBe(true);
    expect(ev.resources[19]).toEqual({ kind: "list", label: "List", value: "18" });
  });
});

describe("bounded strings", () => {
  test("bound() cuts with an ellipsis and never splits a surrogate pair", () => {
    expect(bound("abc", 3)).toBe("abc");
    expect(bound("abcd", 3)).toBe("ab…");
    const s = "a" + "😀".repeat(10);
    const b = bound(s, 3); // "a" + half an emoji would be invalid
    expect(b).toBe("a…");
  });

  test("every long field is bounded", () => {
    const huge = "y".repeat(100_000);
    const ev = normalizeRecord({
      eventID: huge,
      eventName: huge,
      eventSource: huge,
      awsRegion: huge,
      recipientAccountId: huge,
      sourceIPAddress: huge,
      userAgent: huge,
      errorCode: huge,
      errorMessage: huge,
      userIdentity: {
        type: huge,
        arn: huge,
        principalId: huge,
        accountId: huge,
        accessKeyId: huge,
        userName: huge,
        invokedBy: huge,
        sessionContext: { sessionIssuer: { arn: huge, userName: huge } },
      },
      requestParameters: { [huge]: huge },
    });
    expect(ev.eventId.length).toBeLessThanOrEqual(LIMITS.short);
    expect(ev.eventName.length).toBeLessThanOrEqual(LIMITS.short);
    expect(ev.eventSource.length).toBeLessThanOrEqual(LIMITS.short);
    expect(ev.awsRegion.length).toBeLessThanOrEqual(LIMITS.short);
    expect(ev.accountId.length).toBeLessThanOrEqual(LIMITS.short);
    expect(ev.sourceIp.length).toBeLessThanOrEqual(LIMITS.sourceIp);
    expect(ev.userAgent).toHaveLength(LIMITS.userAgent);
    expect(ev.errorCode?.length).toBeLessThanOrEqual(LIMITS.short);
    expect(ev.errorMessage).toHaveLength(LIMITS.errorMessage);
    for (const v of Object.values(ev.actor)) {
      if (typeof v === "string") expect(v.length).toBeLessThanOrEqual(LIMITS.arn);
    }
    expect(ev.resources[0]?.kind.length).toBeLessThanOrEqual(LIMITS.short);
    expect(ev.resources[0]?.label.length).toBeLessThanOrEqual(LIMITS.short + 10);
    expect(ev.resources[0]?.value).toHaveLength(LIMITS.resourceValue);
  });
});

describe("normalizeLookupEvent", () => {
  const record = deleteRole({ eventName: "DeleteUser", requestParameters: { userName: "bob" } });

  test("parses CloudTrailEvent and normalises it like a log record", () => {
    const ev = normalizeLookupEvent({
      EventId: "9a8666dd-4850-4ef5-9417-069e5ae7ab21",
      EventName: "DeleteUser",
      EventTime: new Date("2023-07-10T12:07:25Z"),
      EventSource: "iam.amazonaws.com",
      Username: "alice",
      ReadOnly: "false",
      Resources: [{ ResourceType: "AWS::IAM::User", ResourceName: "bob" }],
      CloudTrailEvent: JSON.stringify(record),
    });
    expect(ev).toEqual(normalizeRecord(record));
    expect(ev.parseError).toBeUndefined();
  });

  test("summary fields fill what the record lacks (eventID, time, resources)", () => {
    const partial = { ...record, eventID: undefined, eventTime: undefined, requestParameters: null };
    const ev = normalizeLookupEvent({
      EventId: "from-summary",
      EventTime: new Date("2024-05-01T10:00:00Z"),
      AccessKeyId: "AKIASUMMARY",
      Resources: [{ ResourceType: "AWS::IAM::User", ResourceName: "bob" }, { ResourceName: "other" }, {}],
      CloudTrailEvent: JSON.stringify(partial),
    });
    expect(ev.eventId).toBe("from-summary");
    expect(ev.eventTime?.toISOString()).toBe("2024-05-01T10:00:00.000Z");
    expect(ev.actor.accessKeyId).toBe("AKIAEXAMPLE"); // the record's own value wins
    expect(ev.resources).toEqual([
      { kind: "AWS::IAM::User", label: "User", value: "bob" },
      { kind: "resource", label: "Resource", value: "other" },
    ]);
  });

  test("the record's eventID wins over the summary's EventId", () => {
    const ev = normalizeLookupEvent({ EventId: "summary-id", CloudTrailEvent: JSON.stringify(record) });
    expect(ev.eventId).toBe("9a8666dd-4850-4ef5-9417-069e5ae7ab21");
  });

  test.each([
    [undefined, "CloudTrailEvent is missing"],
    ["", "CloudTrailEvent is missing"],
    ['{"eventName": "DeleteRole"', "CloudTrailEvent is not valid JSON"],
    ["null", "CloudTrailEvent is not a JSON object (got null)"],
    ["[1,2]", "CloudTrailEvent is not a JSON object (got array)"],
    ['"text"', "CloudTrailEvent is not a JSON object (got string)"],
  ])("CloudTrailEvent %j -> built from the summary, parseError %j", (cloudTrailEvent, problem) => {
    const ev = normalizeLookupEvent({
      EventId: "e-1",
      EventName: "DeleteRole",
      EventTime: new Date("2024-05-01T10:00:00Z"),
      EventSource: "iam.amazonaws.com",
      Username: "alice",
      AccessKeyId: "AKIAEXAMPLE",
      ReadOnly: "false",
      Resources: [{ ResourceType: "AWS::IAM::Role", ResourceName: "app-role" }],
      CloudTrailEvent: cloudTrailEvent,
    });
    expect(ev.parseError?.startsWith(problem)).toBe(true);
    expect(ev).toMatchObject({
      eventId: "e-1",
      eventName: "DeleteRole",
      eventSource: "iam.amazonaws.com",
      eventTime: new Date("2024-05-01T10:00:00Z"),
      accountId: "",
      actor: { type: "Unknown", userName: "alice", accessKeyId: "AKIAEXAMPLE", mfaAuthenticated: null },
      client: "unknown",
      requestParameters: null,
      readOnly: false,
      resources: [{ kind: "AWS::IAM::Role", label: "Role", value: "app-role" }],
    });
  });

  test("EventTime as an ISO string (AWS CLI output) or epoch seconds (wire format)", () => {
    expect(normalizeLookupEvent({ EventTime: "2021-11-18T09:41:02-08:00" }).eventTime?.toISOString()).toBe(
      "2021-11-18T17:41:02.000Z",
    );
    expect(normalizeLookupEvent({ EventTime: 1_700_000_000 }).eventTime?.toISOString()).toBe(
      "2023-11-14T22:13:20.000Z",
    );
  });

  test("never throws on junk", () => {
    for (const junk of [null, undefined, 5, "s", [], { CloudTrailEvent: 5 }, { Resources: "x" }]) {
      const ev = normalizeLookupEvent(junk as never);
      expect(ev.parseError).toEqual(expect.any(String));
    }
    expect(normalizeLookupEvent({ CloudTrailEvent: 5 } as never).parseError).toBe(
      "CloudTrailEvent is not a string (got number)",
    );
  });
});
