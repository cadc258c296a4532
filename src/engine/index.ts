// engine/ (L5): containers (verbs over the runtime and the image service), logs, spec building.
export * from './logs/index.js';
export * from './containers/types.js';
export { ContainerService, type ContainerServiceOptions } from './containers/container-service.js';
export type { CreateRequest, CreateResult } from './containers/container-create.js';
export type { AttachRequest, LogsRequest } from './containers/container-io.js';
export type { EnginePaths } from './containers/context.js';
export type { ContainerConfig, HostConfig } from './spec/index.js';
