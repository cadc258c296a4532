// Docker Engine API client: the only module the CLI and the tests use to reach a daemon.
export * from './types.js';
export * from './container-types.js';
export * from './network-types.js';
export * from './hijack.js';
export * from './stdcopy.js';
export * from './errors.js';
export * from './host.js';
export * from './reference.js';
export * from './json-stream.js';
export * from './docker-client.js';
