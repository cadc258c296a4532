// snapshot/ (L3): snapshotter interface, overlay and copy drivers, layer apply and diff.
export * from './types.js';
export { OverlaySnapshotter, type OverlaySnapshotterOptions } from './overlay/overlay-snapshotter.js';
export { CopySnapshotter } from './copy/copy-snapshotter.js';
export { applyLayer, cleanEntryPath, type ApplyLayerOptions, type ApplyLayerResult, type LayerSource } from './apply-layer.js';
export { diffTar, type DiffOptions } from './diff.js';
export { unpackLayer, type UnpackLayerOptions } from './unpack.js';
export { diskUsage, copyTree } from './fs-tree.js';
export { SCHEMA_VERSION as SNAPSHOT_SCHEMA_VERSION } from './metadata.js';
