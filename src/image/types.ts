// The image service (L4): what api/ (Docker routes), cli/ (through client/) and later engine/ and cri/
// see of images. Plain option objects in, plain data out (STYLE.md §2.3). The records that the Docker
// API returns verbatim keep Docker's field names (ImageSummary, ImageInspect, HistoryItem, …) so the
// routes stay thin: parse → call → serialise. Progress is a typed event stream (STYLE.md §2.6).

import type { Readable } from 'node:stream';
import type { Digest } from '../base/index.js';
import type { ImageRuntimeConfig, Platform } from '../oci/index.js';
import type { AuthConfig } from '../registry/index.js';
import type { Mount } from '../snapshot/index.js';

/** Progress of a long image operation, one event per line docker would stream. */
export type ImageProgressEvent =
  /** A status line without a layer: `Pulling from library/busybox`, `Digest: sha256:…`, `Status: …`. */
  | { kind: 'status'; status: string; id?: string }
  /** Per-layer progress: `id` is the 12-hex short id docker prints. */
  | {
      kind: 'layer';
      id: string;
      status:
        | 'Pulling fs layer'
        | 'Waiting'
        | 'Downloading'
        | 'Verifying Checksum'
        | 'Download complete'
        | 'Extracting'
        | 'Pull complete'
        | 'Already exists'
        | 'Preparing'
        | 'Pushing'
        | 'Pushed'
        | 'Layer already exists'
        | 'Mounted from'
        | 'Loading layer'
        | 'Retrying';
      current?: number;
      total?: number;
      /** Free text docker appends (`Mounted from library/busybox`, `Retrying in 5 seconds`). */
      detail?: string;
    }
  /** The final `aux` record of a push (`{Tag, Digest, Size}`) or a load/build (`{ID}`). */
  | { kind: 'aux'; aux: Record<string, unknown> };

export type ImageProgressListener = (event: ImageProgressEvent) => void;

/** Image lifecycle events for `/events` (docker's Type "image"). */
export interface ImageEvent {
  action: 'pull' | 'push' | 'tag' | 'untag' | 'delete' | 'import' | 'load' | 'save';
  /** The image id (sha256:…) or, for pull/push/tag, the reference as docker reports it. */
  id: string;
  /** Attributes docker puts in Actor.Attributes (`name`, labels of the image). */
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch. */
  timeNano: bigint;
}

export interface PullOptions {
  /** `os/arch[/variant]`; default the host's. */
  platform?: string;
  /** Credentials for this call (from X-Registry-Auth); otherwise the service's credential source. */
  auth?: AuthConfig;
  onProgress?: ImageProgressListener;
  signal?: AbortSignal;
}

export interface PullResult {
  /** The normalised reference that was pulled, as docker prints it (`docker.io/library/busybox:latest`). */
  reference: string;
  /** The manifest (or index) digest: what RepoDigests records. */
  digest: Digest;
  /** The image id: the config digest. */
  id: Digest;
  /** Whether anything new was stored (docker's "Downloaded newer image" vs "Image is up to date"). */
  updated: boolean;
}

export interface PushOptions {
  auth?: AuthConfig;
  onProgress?: ImageProgressListener;
  signal?: AbortSignal;
}

export interface PushResult {
  tag: string;
  digest: Digest;
  size: number;
}

/** GET /images/json entry, docker's field names. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string>;
  Containers: number;
}

export interface ListOptions {
  /** Include intermediate images (no effect until builds exist). */
  all?: boolean;
  /** Docker's filters: dangling, label, before, since, reference. Unknown keys: InvalidArgument. */
  filters?: Record<string, string[]>;
}

/** GET /images/{name}/json, docker's field names (api/swagger.yaml ImageInspect). */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: ImageRuntimeConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** GET /images/{name}/history entry. */
export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** DELETE /images/{name} result lines. */
export type DeleteResponseItem = { Untagged: string } | { Deleted: string };

export interface RemoveOptions {
  force?: boolean;
  noPrune?: boolean;
}

export interface PruneOptions {
  /** Docker's filters for prune: dangling (default true), until, label. */
  filters?: Record<string, string[]>;
}

export interface PruneResult {
  ImagesDeleted: DeleteResponseItem[];
  SpaceReclaimed: number;
}

export interface LoadOptions {
  quiet?: boolean;
  onProgress?: ImageProgressListener;
  signal?: AbortSignal;
}

export interface LoadResult {
  /** Lines docker prints: `Loaded image: busybox:latest` or `Loaded image ID: sha256:…`. */
  messages: string[];
}

export interface ImportOptions {
  /** Repository[:tag] to tag the imported image with. */
  reference?: string;
  /** Dockerfile-style instructions: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR. */
  changes?: string[];
  message?: string;
  platform?: string;
  onProgress?: ImageProgressListener;
  signal?: AbortSignal;
}

/** What the engine needs to build a container rootfs from an image. */
export interface ImageForContainer {
  id: Digest;
  config: ImageRuntimeConfig;
  platform: Platform;
  /** The committed snapshot (chain id) of the top layer, '' for an image without layers. */
  snapshotParent: string;
}

/** Answers whether containers use an image, so rm refuses with docker's conflict text (#5 wires it). */
export type ImageUseChecker = (imageId: Digest) => { containers: number; runningContainer?: string; stoppedContainer?: string };

export interface SystemDfImages {
  LayersSize: number;
  Images: ImageSummary[];
}

export interface ImageService {
  pull(reference: string, opts?: PullOptions): Promise<PullResult>;
  push(reference: string, opts?: PushOptions): Promise<PushResult>;
  list(opts?: ListOptions): Promise<ImageSummary[]>;
  /** By id, unique id prefix, `name[:tag]` or `name@digest`; NotFound `No such image: <name>`. */
  inspect(nameOrId: string): Promise<ImageInspect>;
  history(nameOrId: string): Promise<HistoryItem[]>;
  /** Tags source as `repo[:tag]` (default tag latest). */
  tag(source: string, target: string): Promise<void>;
  remove(nameOrId: string, opts?: RemoveOptions): Promise<DeleteResponseItem[]>;
  prune(opts?: PruneOptions): Promise<PruneResult>;
  /**
   * A docker-archive tar stream (manifest.json, repositories, OCI layout too, like docker 25+).
   * Names are resolved first: NotFound before any byte is streamed.
   */
  save(names: readonly string[], signal?: AbortSignal): Promise<Readable>;
  load(archive: Readable, opts?: LoadOptions): Promise<LoadResult>;
  /** A rootfs tarball (plain or compressed) becomes a one-layer image; resolves to its id. */
  import(rootfs: Readable, opts?: ImportOptions): Promise<Digest>;
  /** docker commit: a new image from a parent image plus one layer (tar) and a runtime config. */
  commit(req: { parentId: string; layer: Readable; config?: ImageRuntimeConfig; comment?: string; author?: string; reference?: string; signal?: AbortSignal }): Promise<Digest>;
  /** For engine/: the image config and its unpacked snapshot (unpacking if needed). */
  forContainer(nameOrId: string): Promise<ImageForContainer>;
  /** A writable snapshot for a container on top of the image (engine/ mounts the Mount[]). */
  prepareRootfs(key: string, image: ImageForContainer): Promise<Mount[]>;
  systemDf(): Promise<SystemDfImages>;
  /** POST /auth: checks the credentials against the registry (`serveraddress`, default Docker Hub). */
  login(auth: AuthConfig): Promise<{ Status: string; IdentityToken: string }>;
  subscribe(listener: (e: ImageEvent) => void): () => void;
  close(): Promise<void>;
}

export interface ImageServiceOptions {
  /** The daemon's data root: content/, snapshots/, the SQLite metadata live under it. */
  root: string;
  /** The open skiff.db (the daemon shares one); when absent the service opens `<root>/skiff.db` itself. */
  db?: import('../store/index.js').SqliteDb;
  /** `overlay` (default when the kernel has it) or `copy`, docker's storage-driver key. */
  snapshotter?: 'overlay' | 'copy';
  logger?: import('../base/index.js').Logger;
  /** Credentials used when a call brings none (e.g. ~/.docker/config.json). */
  credentials?: import('../registry/index.js').CredentialSource;
  /** docker's certs.d layout: `<certsDir>/<host[:port]>/*.crt` are trusted CAs for registries. */
  certsDir?: string;
  /** daemon.json `insecure-registries`. */
  insecureRegistries?: readonly string[];
  /** daemon.json `max-concurrent-downloads` / `max-concurrent-uploads`. */
  maxConcurrentDownloads?: number;
  maxConcurrentUploads?: number;
  /** Start-up reconcile: resumable registry ingests older than this are aborted. Default 1 h. */
  fetchIngestMaxAgeMs?: number;
  /** Set by engine/ (#5); until then every image is unused. */
  useChecker?: ImageUseChecker;
}

// src/image/index.ts exports: `openImageService(opts: ImageServiceOptions): Promise<ImageService>`.
