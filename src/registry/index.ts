// registry/: OCI distribution client (STYLE.md §2.2, L3).
export * from './types.js';
export * from './reference.js';
export * from './platform.js';
export * from './auth.js';
export * from './client.js';
export * from './resolver.js';
export * from './pusher.js';
