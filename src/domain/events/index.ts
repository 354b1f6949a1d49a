/** Bitrot events: the pure rules (clusters, pattern, severity, actions, lifecycle, merging, map). */
export * from './types.js';
export { clusterFiles, evidentClusters, patternOf, mergeRanges, near, density, type Clustering, type Locatable } from './clusters.js';
export { SEVERITY_RULES, assessSeverity, severityFacts, type SeverityFacts, type SeverityRule } from './severity.js';
export { recommendActions, type ActionInput } from './actions.js';
export { explainEvent, toEventFiles, type Explanation } from './explain.js';
export { planEvents, type EventPlan, type EventUpdate } from './merge.js';
export { transition, acknowledge, resolve, dismiss, allowedActions, EventTransitionError, type LifecycleAction, type TransitionInput, type TransitionRefusal } from './lifecycle.js';
export { deviceMap, type DeviceMap, type DeviceMapInput, type MapBucket, type MapEvent } from './device-map.js';
export { smartGrowthFrom } from './smart.js';
