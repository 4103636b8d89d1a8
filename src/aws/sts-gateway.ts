// STS and Organizations: who the bot is, and the organization's accounts. GetCallerIdentity needs no
// permission; organizations:ListAccounts is granted in the management account, not by deploy/iam-policy.json.
import { paginateListAccounts, type Account, type OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { CallCounter } from "./gateway.js";

const STS_ACTIONS = { getCallerIdentity: "sts:GetCallerIdentity" } as const;
const ORGANIZATIONS_ACTIONS = { listAccounts: "organizations:ListAccounts" } as const;

export class StsGateway extends CallCounter {
  constructor(readonly client: STSClient) {
    super();
  }

  getCallerIdentity() {
    return this.one(STS_ACTIONS.getCallerIdentity, () => this.client.send(new GetCallerIdentityCommand({})));
  }
}

export class OrganizationsGateway extends CallCounter {
  constructor(readonly client: OrganizationsClient) {
    super();
  }

  /** Every account of the organization, all pages. */
  listAccounts(): Promise<Account[]> {
    return this.all(ORGANIZATIONS_ACTIONS.listAccounts, paginateListAccounts({ client: this.client }, {}), (p) => p.Accounts);
  }
}

export const stsGateway = (client: STSClient): StsGateway => new StsGateway(client);
