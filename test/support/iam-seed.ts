// The IAM the restore acceptance describes, seeded into moto: a role with everything a restore must bring
// back, and a user with an inline policy. Shared by the snapshot, restore and integration tests.
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { MOTO_ACCOUNT_ID } from "./moto.js";

export const APP_ROLE = "app-role";
export const APP_PROFILE = "app-profile";
export const APP_USER = "app-user";
export const BOUNDARY_ARN = `arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/app-boundary`;
export const MANAGED_ARN = `arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/apps/app-read`;
export const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::210987654321:root" },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "sts:ExternalId": "ext-7f3a9c" } },
    },
  ],
});
export const ROLE_INLINE = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::app-bucket/*" }] });
export const USER_INLINE = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sqs:SendMessage", "sqs:ReceiveMessage"], Resource: "arn:aws:sqs:us-east-1:123456789012:jobs" }] });
const BOUNDARY_DOC = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:*", "sqs:*"], Resource: "*" }] });
const READ_DOC = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] });
export const ROLE_TAGS = [
  { Key: "team", Value: "payments" },
  { Key: "env", Value: "prod" },
];
export const PROFILE_TAGS = [{ Key: "owner", Value: "platform" }];

export async function seedAcceptanceIam(iam: IAMClient): Promise<void> {
  await iam.send(new CreatePolicyCommand({ PolicyName: "app-boundary", PolicyDocument: BOUNDARY_DOC }));
  await iam.send(new CreatePolicyCommand({ PolicyName: "app-read", Path: "/apps/", PolicyDocument: READ_DOC, Description: "read the app bucket" }));
  await iam.send(
    new CreateRoleCommand({
      RoleName: APP_ROLE,
      Path: "/apps/",
      AssumeRolePolicyDocument: TRUST,
      Description: "payments worker",
      MaxSessionDuration: 7200,
      PermissionsBoundary: BOUNDARY_ARN,
      Tags: ROLE_TAGS,
    }),
  );
  await iam.send(new PutRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: "app-inline", PolicyDocument: ROLE_INLINE }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: MANAGED_ARN }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: APP_PROFILE, Path: "/apps/", Tags: PROFILE_TAGS }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: APP_PROFILE, RoleName: APP_ROLE }));
  await iam.send(new CreateUserCommand({ UserName: APP_USER, Path: "/people/", Tags: [{ Key: "dept", Value: "ops" }] }));
  await iam.send(new PutUserPolicyCommand({ UserName: APP_USER, PolicyName: "queue-access", PolicyDocument: USER_INLINE }));
}
