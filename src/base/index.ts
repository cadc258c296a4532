export * from './errors.js';
export * from './log.js';
export * from './disposable.js';
export * from './ids.js';
export * from './digest.js';
