export * from './plan-container.js';
export * from './types.js';
export * from './constants.js';
export { PlanBuilder } from './builder.js';
export { effectiveResources } from './device-cgroup-rules.js';
