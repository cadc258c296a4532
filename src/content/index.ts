// content/: the content-addressed blob store (STYLE.md §2.3). testsuite.ts is imported by tests directly.
export * from './types.js';
export * from './local/local-store.js';
export * from './gc.js';
export * from './helpers.js';
export * from './decompress.js';
