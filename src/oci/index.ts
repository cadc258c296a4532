export * from './runtime-spec.js';
export * from './capabilities.js';
export * from './rlimits.js';
export * from './mount-flags.js';
export * from './mount-options.js';
export * from './image-spec.js';
export * from './media-types.js';
