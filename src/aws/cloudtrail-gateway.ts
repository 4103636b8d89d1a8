// The CloudTrail calls trailwatch makes, one method each, with the IAM action in CLOUDTRAIL_ACTIONS.
// LookupEvents is offered one page at a time: the poller paces every page with its limiter, retries a
// throttled page with the same token and keeps its own cursor (src/cloudtrail/lookup.ts), which a paginator
// that ends on the first error cannot do.
import {
  AddTagsCommand,
  DescribeTrailsCommand,
  GetTrailCommand,
  GetTrailStatusCommand,
  LookupEventsCommand,
  paginateListTags,
  StartLoggingCommand,
  type CloudTrailClient,
  type LookupEventsCommandInput,
  type Tag,
} from "@aws-sdk/client-cloudtrail";
import { CallCounter } from "./gateway.js";

/** Each CloudTrailGateway method and the IAM action it needs. */
export const CLOUDTRAIL_ACTIONS = {
  lookupEventsPage: "cloudtrail:LookupEvents",
  describeTrails: "cloudtrail:DescribeTrails",
  getTrail: "cloudtrail:GetTrail",
  getTrailStatus: "cloudtrail:GetTrailStatus",
  listTags: "cloudtrail:ListTags",
  startLogging: "cloudtrail:StartLogging",
  addTags: "cloudtrail:AddTags",
} as const satisfies Record<string, `cloudtrail:${string}`>;

const A = CLOUDTRAIL_ACTIONS;

export class CloudTrailGateway extends CallCounter {
  /** The paginators' configuration. */
  private readonly pc: { client: CloudTrailClient };

  constructor(readonly client: CloudTrailClient) {
    super();
    this.pc = { client };
  }

  /** One LookupEvents page; the caller follows NextToken. */
  lookupEventsPage(input: LookupEventsCommandInput) {
    return this.one(A.lookupEventsPage, () => this.client.send(new LookupEventsCommand(input)));
  }
  /** The trails, by name when given, else every trail including shadow trails of other regions. */
  async describeTrails(names?: string[]) {
    const input = names ? { trailNameList: names } : { includeShadowTrails: true };
    return (await this.one(A.describeTrails, () => this.client.send(new DescribeTrailsCommand(input)))).trailList ?? [];
  }
  getTrail(name: string) {
    return this.one(A.getTrail, () => this.client.send(new GetTrailCommand({ Name: name })));
  }
  getTrailStatus(name: string) {
    return this.one(A.getTrailStatus, () => this.client.send(new GetTrailStatusCommand({ Name: name })));
  }
  /** The tags of each resource, all pages. */
  listTags(resourceIds: string[]) {
    return this.all(A.listTags, paginateListTags(this.pc, { ResourceIdList: resourceIds }), (p) => p.ResourceTagList);
  }
  startLogging(name: string) {
    return this.one(A.startLogging, () => this.client.send(new StartLoggingCommand({ Name: name })));
  }
  addTags(resourceId: string, tags: Tag[]) {
    return this.one(A.addTags, () => this.client.send(new AddTagsCommand({ ResourceId: resourceId, TagsList: tags })));
  }
}

export const cloudTrailGateway = (client: CloudTrailClient): CloudTrailGateway => new CloudTrailGateway(client);
