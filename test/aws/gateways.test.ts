// The gateways against stub clients: real SDK clients whose `send` answers from a script, so paging, the
// request count and error wrapping are checked without a network.
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { STSClient } from "@aws-sdk/client-sts";
import { describe, expect, test } from "vitest";
import { CloudTrailGateway } from "../../src/aws/cloudtrail-gateway.js";
import { AwsCallError, classifyAwsError, orMissing } from "../../src/aws/errors.js";
import { IamGateway } from "../../src/aws/iam-gateway.js";
import { OrganizationsGateway, StsGateway } from "../../src/aws/sts-gateway.js";

interface Sent {
  command: string;
  input: Record<string, unknown>;
}

type Answer = (command: string, input: Record<string, unknown>) => unknown;

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };

/** Replaces the client's send; every request is recorded, and `answer` returns a reply or throws. */
function stub(client: { send: unknown }, answer: Answer): Sent[] {
  const sent: Sent[] = [];
  (client as { send: (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown> }).send = (cmd) => {
    const input = { ...cmd.input };
    sent.push({ command: cmd.constructor.name, input });
    return Promise.resolve().then(() => answer(cmd.constructor.name, input));
  };
  return sent;
}

function sdkError(name: string, code: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { name, Code: code, $metadata: { httpStatusCode: status } });
}

const denied = () => sdkError("AccessDenied", "AccessDenied", 403, "User: arn:aws:iam::1:user/tw is not authorized to perform: iam:GetRole on resource: role x");
const noSuchRole = () => sdkError("NoSuchEntityException", "NoSuchEntity", 404, "The role with name x cannot be found.");

describe("IamGateway", () => {
  test("a list follows Marker across every page and counts one request per page", async () => {
    const iam = new IAMClient({ region: "us-east-1", credentials });
    const pages: Record<string, { AttachedPolicies: { PolicyArn: string }[]; IsTruncated: boolean; Marker?: string }> = {
      start: { AttachedPolicies: [{ PolicyArn: "a1" }, { PolicyArn: "a2" }], IsTruncated: true, Marker: "m1" },
      m1: { AttachedPolicies: [{ PolicyArn: "a3" }], IsTruncated: true, Marker: "m2" },
      m2: { AttachedPolicies: [{ PolicyArn: "a4" }, { PolicyArn: "a5" }], IsTruncated: false },
    };
    const sent = stub(iam, (_cmd, input) => pages[typeof input.Marker === "string" ? input.Marker : "start"]);
    const gw = new IamGateway(iam);
    const list = await gw.listAttachedRolePolicies("app");
    expect(list.map((p) => p.PolicyArn)).toEqual(["a1", "a2", "a3", "a4", "a5"]);
    expect(sent.map((s) => [s.command, s.input.RoleName, s.input.Marker])).toEqual([
      ["ListAttachedRolePoliciesCommand", "app", undefined],
      ["ListAttachedRolePoliciesCommand", "app", "m1"],
      ["ListAttachedRolePoliciesCommand", "app", "m2"],
    ]);
    expect(gw.calls).toBe(3);
  });

  test("listUsers with a limit stops paging once it has enough", async () => {
    const iam = new IAMClient({ region: "us-east-1", credentials });
    const sent = stub(iam, () => ({ Users: [{ UserName: "u" }], IsTruncated: true, Marker: "more" }));
    expect(await new IamGateway(iam).listUsers(1)).toEqual([{ UserName: "u" }]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.input.MaxItems).toBe(1);
  });

  test("a failed call is an AwsCallError naming the API, classified, with the SDK error as cause", async () => {
    const iam = new IAMClient({ region: "us-east-1", credentials });
    const cause = noSuchRole();
    stub(iam, () => {
      throw cause;
    });
    const err = await new IamGateway(iam).getRole("x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsCallError);
    const e = err as AwsCallError;
    expect(e.message).toBe("GetRole failed with NoSuchEntity: The role with name x cannot be found.");
    expect([e.api, e.action, e.kind, e.code, e.cause]).toEqual(["GetRole", "iam:GetRole", "not-found", "aws-not-found", cause]);
    expect(classifyAwsError(e)).toMatchObject({ kind: "not-found", code: "NoSuchEntity", httpStatus: 404 });
  });

  test("orMissing turns not-found into undefined and lets a denial through, described with the missing permission", async () => {
    const iam = new IAMClient({ region: "us-east-1", credentials });
    let answer: () => never = () => {
      throw noSuchRole();
    };
    stub(iam, () => answer());
    const gw = new IamGateway(iam);
    expect(await orMissing(gw.getRole("x"))).toBeUndefined();
    answer = () => {
      throw denied();
    };
    const err = (await orMissing(gw.getRole("x")).catch((e: unknown) => e)) as AwsCallError;
    expect(err.denied).toBe(true);
    expect(err.describe()).toBe(
      "AWS denied GetRole: User: arn:aws:iam::1:user/tw is not authorized to perform: iam:GetRole on resource: role x — the bot lacks iam:GetRole",
    );
  });

  test("a failure on a later page is an AwsCallError for the list's action", async () => {
    const iam = new IAMClient({ region: "us-east-1", credentials });
    stub(iam, (_cmd, input) => {
      if (input.Marker === undefined) return { Users: [{ UserId: "1" }], IsTruncated: true, Marker: "m1" };
      throw sdkError("ThrottlingException", "Throttling", 400, "Rate exceeded");
    });
    const err = (await new IamGateway(iam).listGroupUsers("ops").catch((e: unknown) => e)) as AwsCallError;
    expect(err).toBeInstanceOf(AwsCallError);
    expect([err.action, err.kind, err.message]).toEqual(["iam:GetGroup", "throttled", "GetGroup failed with Throttling: Rate exceeded"]);
  });

  test("an HTML answer is not taken for a missing resource", async () => {
    const iam = new IAMClient({ region: "us-east-1", credentials });
    stub(iam, () => {
      throw Object.assign(new Error("Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object."), {
        name: "SyntaxError",
        $metadata: { httpStatusCode: 404 },
      });
    });
    const err = (await orMissing(new IamGateway(iam).getSAMLProvider("arn:x")).catch((e: unknown) => e)) as AwsCallError;
    expect(err.kind).toBe("other");
    expect(err.message).toBe(
      "GetSAMLProvider failed with HTTP404: the endpoint returned a response that is not an AWS API reply (HTTP 404); the API may not be supported there",
    );
  });

  test("writes send the parameters they are given", async () => {
    const iam = new IAMClient({ region: "us-east-1", credentials });
    const sent = stub(iam, () => ({}));
    await new IamGateway(iam).updateAccessKey("bob", "AKIA1", "Inactive");
    expect(sent).toEqual([{ command: "UpdateAccessKeyCommand", input: { UserName: "bob", AccessKeyId: "AKIA1", Status: "Inactive" } }]);
  });
});

describe("CloudTrailGateway", () => {
  test("listTags follows NextToken; lookupEventsPage is one request with the caller's token", async () => {
    const ct = new CloudTrailClient({ region: "us-east-1", credentials });
    const sent = stub(ct, (cmd, input) => {
      if (cmd === "ListTagsCommand") {
        return input.NextToken === undefined
          ? { ResourceTagList: [{ ResourceId: "t1", TagsList: [] }], NextToken: "n1" }
          : { ResourceTagList: [{ ResourceId: "t2", TagsList: [{ Key: "k", Value: "v" }] }] };
      }
      return { Events: [], NextToken: "next" };
    });
    const gw = new CloudTrailGateway(ct);
    expect((await gw.listTags(["t1", "t2"])).map((r) => r.ResourceId)).toEqual(["t1", "t2"]);
    const page = await gw.lookupEventsPage({ MaxResults: 50, NextToken: "tok" });
    expect(page.NextToken).toBe("next");
    expect(sent.map((s) => [s.command, s.input.NextToken])).toEqual([
      ["ListTagsCommand", undefined],
      ["ListTagsCommand", "n1"],
      ["LookupEventsCommand", "tok"],
    ]);
    expect(gw.calls).toBe(3);
  });

  test("describeTrails asks for shadow trails unless names are given", async () => {
    const ct = new CloudTrailClient({ region: "us-east-1", credentials });
    const sent = stub(ct, () => ({ trailList: [{ Name: "main" }] }));
    const gw = new CloudTrailGateway(ct);
    expect(await gw.describeTrails()).toEqual([{ Name: "main" }]);
    await gw.describeTrails(["x"]);
    expect(sent.map((s) => s.input)).toEqual([{ includeShadowTrails: true }, { trailNameList: ["x"] }]);
  });
});

describe("STS and Organizations", () => {
  test("getCallerIdentity, and listAccounts across pages", async () => {
    const sts = new STSClient({ region: "us-east-1", credentials });
    stub(sts, () => ({ Arn: "arn:aws:iam::111111111111:user/tw", Account: "111111111111" }));
    expect(await new StsGateway(sts).getCallerIdentity()).toMatchObject({ Account: "111111111111" });

    const org = new OrganizationsClient({ region: "us-east-1", credentials });
    const sent = stub(org, (_cmd, input) =>
      input.NextToken === undefined ? { Accounts: [{ Id: "1" }], NextToken: "p2" } : { Accounts: [{ Id: "2" }, { Id: "3" }] },
    );
    expect((await new OrganizationsGateway(org).listAccounts()).map((a) => a.Id)).toEqual(["1", "2", "3"]);
    expect(sent).toHaveLength(2);
  });
});
