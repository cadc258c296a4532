// Types of the OCI image spec (specs-go/v1: descriptor.go, manifest.go, index.go, config.go) which
// also describe Docker's schema 2 manifest and manifest list (same shapes, other media types), and
// their validators. Pure: parse JSON bytes, check the fields a puller relies on, name the bad field.

import { invalidArgument, parseDigest, type Digest } from '../base/index.js';
import { isIndexMediaType, isManifestMediaType, MediaType } from './media-types.js';

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageConfigHealthcheck {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The runtime part of an image config (`config` in image-spec, plus Docker's extra keys). */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: ImageConfigHealthcheck;
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface ImageHistory {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: ImageHistory[];
}

/** A manifest or an index, told apart by media type or, lacking one, by shape. */
export type ManifestOrIndex =
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; index: ImageIndex };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(bytes: Uint8Array | string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw invalidArgument(`${what}: invalid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(v)) throw invalidArgument(`${what}: expected a JSON object`);
  return v;
}

export function validateDescriptor(v: unknown, field: string): Descriptor {
  if (!isObject(v)) throw invalidArgument(`${field}: expected a descriptor object`, { field });
  if (typeof v.mediaType !== 'string' || v.mediaType === '') {
    throw invalidArgument(`${field}.mediaType: missing or not a string`, { field: `${field}.mediaType` });
  }
  if (typeof v.digest !== 'string') throw invalidArgument(`${field}.digest: missing or not a string`, { field: `${field}.digest` });
  parseDigest(v.digest, `${field}.digest`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) {
    throw invalidArgument(`${field}.size: must be a non-negative integer`, { field: `${field}.size` });
  }
  if (v.urls !== undefined && (!Array.isArray(v.urls) || v.urls.some((u) => typeof u !== 'string'))) {
    throw invalidArgument(`${field}.urls: must be an array of strings`, { field: `${field}.urls` });
  }
  if (v.platform !== undefined) validatePlatform(v.platform, `${field}.platform`);
  return v as unknown as Descriptor;
}

export function validatePlatform(v: unknown, field: string): Platform {
  if (!isObject(v) || typeof v.os !== 'string' || typeof v.architecture !== 'string') {
    throw invalidArgument(`${field}: os and architecture must be strings`, { field });
  }
  if (v.variant !== undefined && typeof v.variant !== 'string') {
    throw invalidArgument(`${field}.variant: must be a string`, { field: `${field}.variant` });
  }
  return v as unknown as Platform;
}

function checkSchemaVersion(v: Record<string, unknown>, what: string): void {
  if (v.schemaVersion !== 2) {
    if (v.schemaVersion === 1) {
      throw invalidArgument(`${what}: Docker image manifest schema 1 is not supported`, {
        field: 'schemaVersion',
        hint: 'push the image again with a current client (schema 2 or OCI)',
      });
    }
    throw invalidArgument(`${what}: schemaVersion must be 2`, { field: 'schemaVersion' });
  }
}

export function parseImageManifest(bytes: Uint8Array | string, what = 'manifest'): ImageManifest {
  const v = parseJson(bytes, what);
  checkSchemaVersion(v, what);
  if (v.mediaType !== undefined && !isManifestMediaType(v.mediaType as string)) {
    throw invalidArgument(`${what}: unexpected mediaType ${String(v.mediaType)}`, { field: 'mediaType' });
  }
  validateDescriptor(v.config, `${what}.config`);
  if (!Array.isArray(v.layers)) throw invalidArgument(`${what}.layers: must be an array`, { field: 'layers' });
  v.layers.forEach((l, i) => validateDescriptor(l, `${what}.layers[${i}]`));
  return v as unknown as ImageManifest;
}

export function parseImageIndex(bytes: Uint8Array | string, what = 'index'): ImageIndex {
  const v = parseJson(bytes, what);
  checkSchemaVersion(v, what);
  if (v.mediaType !== undefined && !isIndexMediaType(v.mediaType as string)) {
    throw invalidArgument(`${what}: unexpected mediaType ${String(v.mediaType)}`, { field: 'mediaType' });
  }
  if (!Array.isArray(v.manifests)) throw invalidArgument(`${what}.manifests: must be an array`, { field: 'manifests' });
  v.manifests.forEach((m, i) => validateDescriptor(m, `${what}.manifests[${i}]`));
  return v as unknown as ImageIndex;
}

/**
 * Parses a manifest or an index. `mediaType` is what the registry or the parent descriptor said; the
 * document's own mediaType wins when present, and a document without either is told apart by shape
 * (`manifests` → index, `config` → manifest), as containerd's images.Children does.
 */
export function parseManifestOrIndex(bytes: Uint8Array | string, mediaType?: string): ManifestOrIndex {
  const v = parseJson(bytes, 'manifest');
  const mt = typeof v.mediaType === 'string' ? v.mediaType : mediaType;
  const asIndex = isIndexMediaType(mt) || (!isManifestMediaType(mt) && Array.isArray(v.manifests) && v.config === undefined);
  if (asIndex) {
    const index = parseImageIndex(bytes);
    return { kind: 'index', mediaType: mt ?? MediaType.OciIndex, index };
  }
  if (
    mt === MediaType.DockerSchema1Manifest ||
    mt === MediaType.DockerSchema1SignedManifest ||
    v.schemaVersion === 1
  ) {
    throw invalidArgument('manifest: Docker image manifest schema 1 is not supported', { field: 'schemaVersion' });
  }
  if (mt !== undefined && !isManifestMediaType(mt) && mt !== 'application/json') {
    throw invalidArgument(`manifest: unsupported media type ${mt}`, { field: 'mediaType' });
  }
  const manifest = parseImageManifest(bytes);
  return { kind: 'manifest', mediaType: mt === undefined || mt === 'application/json' ? MediaType.OciManifest : mt, manifest };
}

export function parseImageConfig(bytes: Uint8Array | string, what = 'image config'): ImageConfig {
  const v = parseJson(bytes, what);
  if (typeof v.architecture !== 'string') throw invalidArgument(`${what}.architecture: must be a string`, { field: 'architecture' });
  if (typeof v.os !== 'string') throw invalidArgument(`${what}.os: must be a string`, { field: 'os' });
  const rootfs = v.rootfs;
  if (!isObject(rootfs) || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw invalidArgument(`${what}.rootfs: must be {type: "layers", diff_ids: [...]}`, { field: 'rootfs' });
  }
  rootfs.diff_ids.forEach((d, i) => {
    if (typeof d !== 'string') throw invalidArgument(`${what}.rootfs.diff_ids[${i}]: must be a string`);
    parseDigest(d, `rootfs.diff_ids[${i}]`);
  });
  return v as unknown as ImageConfig;
}

/** The descriptors a manifest or index refers to (containerd images.Children), for GC and copying. */
export function childDescriptors(doc: ManifestOrIndex): Descriptor[] {
  if (doc.kind === 'index') return [...doc.index.manifests];
  return [doc.manifest.config, ...doc.manifest.layers];
}
