import { afterAll, beforeAll, expect, test } from "vitest";
import { CreateUserCommand, GetPolicyCommand, ListUsersCommand } from "@aws-sdk/client-iam";
import { startMoto, type Moto } from "./moto.js";

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto.stop();
});

test("moto answers IAM calls and has the AWS managed quarantine policy", async () => {
  const iam = moto.iam();
  await iam.send(new CreateUserCommand({ UserName: "alice" }));
  const users = await iam.send(new ListUsersCommand({}));
  expect(users.Users?.map((u) => u.UserName)).toEqual(["alice"]);
  const p = await iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2" }));
  expect(p.Policy?.PolicyName).toBe("AWSCompromisedKeyQuarantineV2");
});

test("the next file in this worker gets the same server, reset: nothing crosses files", async () => {
  await moto.iam().send(new CreateUserCommand({ UserName: "left-behind" }));
  const next = await startMoto();
  expect(next.endpoint).toBe(moto.endpoint);
  const users = await next.iam().send(new ListUsersCommand({}));
  expect(users.Users ?? []).toEqual([]);
});
