export * from './runtime-spec.js';
export * from './capabilities.js';
export * from './rlimits.js';
export * from './mount-flags.js';
export * from './mount-options.js';
