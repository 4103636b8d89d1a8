// Grouping of alerts into deletion chains and storm digests. The pure part (keys, grouper) has no store or
// Slack dependency and is what `trailwatch replay` uses; see the README section "Chains and digests".
export { DEFAULT_GROUPING, Grouper, type GroupingSettings } from "./grouper.js";
export { groupableFrom, type GroupableEvent } from "./keys.js";
