// image/archive: the tar formats of `docker save` / `docker load` (docker 25+ OCI layout + manifest.json,
// older docker archives, plain OCI image layouts). The image service is the only caller.
export type { ArchiveImage, ArchiveLayer, LoadedImage, LoadedLayer, ReadArchiveOptions, WriteArchiveOptions } from './types.js';
export { writeImageArchive } from './write-archive.js';
export { readImageArchive } from './read-archive.js';
