// store/: the daemon's SQLite metadata (schema.md documents every table).
export * from './types.js';
export { openDatabase, migrate, SCHEMA_VERSION } from './db.js';
export { ImageRepo } from './image-repo.js';
export { ContainerRepo, type ContainerRow } from './container-repo.js';
export { VolumeRepo, type VolumeRow } from './volume-repo.js';
export { NetworkRepo, type NetworkRow } from './network-repo.js';
