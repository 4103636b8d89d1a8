// Grouping of alerts into deletion chains and storm digests. The pure part (keys, grouper) has no store or
// Slack dependency and is what `trailwatch replay` uses; see the README section "Chains and digests".
export { DEFAULT_GROUPING, Grouper, type Assignment, type GroupKind, type GroupSnapshot, type GroupingSettings } from "./grouper.js";
export { actorKey, groupableFrom, resourceKey, type GroupableEvent, type ResourceRef } from "./keys.js";
