// network/ (L3): pinned network namespaces (sys/), the CNI 1.0 runner, bridge networks' conflists.
export * from './cni/types.js';
export * from './cni/runner.js';
export * from './cni/bridge-conflist.js';
export * from './dns/server.js';
export * from './dns/addr.js';
export * from './network-service.js';
export * from './networks.js';
export * from './bridge-rules.js';
