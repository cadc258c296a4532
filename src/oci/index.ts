export * from './runtime-spec.js';
