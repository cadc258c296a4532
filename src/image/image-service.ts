// The composition of the image layer: one content store, one snapshotter and one SQLite store under
// the data root, shared by the verbs (one module each). openImageService is the only constructor.

import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { SkiffError, silentLogger, type Digest } from '../base/index.js';
import type { ImageRuntimeConfig } from '../oci/index.js';
import { LocalContentStore } from '../content/index.js';
import {
  RegistryClient, anonymous, chainCredentials, convertToHostname, registryHost, familiarString, formatReference, normalizeReference, staticCredentials,
  type AuthConfig,
} from '../registry/index.js';
import { CopySnapshotter, OverlaySnapshotter, type Mount, type Snapshotter } from '../snapshot/index.js';
import { ImageRepo, openDatabase, type SqliteDb } from '../store/index.js';
import { loadImage, type ImageContext } from './context.js';
import { commitLayer, loadArchive, importRootfs, saveArchive } from './image-archive-ops.js';
import { imageHistory, inspectImage, listImages, summaryOf } from './image-inspect.js';
import { pullImage } from './image-pull.js';
import { pushImage } from './image-push.js';
import { pruneImages, removeImage } from './image-remove.js';
import { findImage } from './lookup.js';
import { reconcileImages } from './reconcile.js';
import { RwLock } from './rw-lock.js';
import type {
  DeleteResponseItem, HistoryItem, ImageEvent, ImageForContainer, ImageInspect, ImageService, ImageServiceOptions,
  ImageSummary, ImportOptions, ListOptions, LoadOptions, LoadResult, PruneOptions, PruneResult, PullOptions, PullResult,
  PushOptions, PushResult, RemoveOptions, SystemDfImages,
} from './types.js';

class LocalImageService implements ImageService {
  private readonly listeners = new Set<(e: ImageEvent) => void>();
  private closed = false;

  constructor(
    private readonly ctx: ImageContext,
    /** Closed with the service only when the service opened it. */
    private readonly db: SqliteDb | undefined,
    private readonly opts: ImageServiceOptions,
  ) {}

  private client(auth: AuthConfig | undefined): RegistryClient {
    const base = this.opts.credentials ?? anonymous;
    return new RegistryClient({
      credentials: auth === undefined || Object.keys(auth).length === 0 ? base : chainCredentials(staticCredentials(auth), base),
      insecureRegistries: this.opts.insecureRegistries ?? [],
      logger: this.ctx.logger,
      ...(this.opts.certsDir === undefined ? {} : { ca: registryCas(this.opts.certsDir) }),
    });
  }

  emit(e: Omit<ImageEvent, 'timeNano'>): void {
    const event: ImageEvent = { ...e, timeNano: BigInt(this.ctx.now()) * 1_000_000n };
    for (const l of this.listeners) l(event);
  }

  async pull(reference: string, opts: PullOptions = {}): Promise<PullResult> {
    const client = this.client(opts.auth);
    try {
      return await pullImage(this.ctx, client, reference, opts);
    } finally {
      await client.destroy();
    }
  }

  async push(reference: string, opts: PushOptions = {}): Promise<PushResult> {
    const client = this.client(opts.auth);
    try {
      const results = await pushImage(this.ctx, client, reference, opts);
      return results[results.length - 1]!;
    } finally {
      await client.destroy();
    }
  }

  list(opts?: ListOptions): Promise<ImageSummary[]> {
    return listImages(this.ctx, opts);
  }

  inspect(nameOrId: string): Promise<ImageInspect> {
    return inspectImage(this.ctx, nameOrId);
  }

  history(nameOrId: string): Promise<HistoryItem[]> {
    return imageHistory(this.ctx, nameOrId);
  }

  async tag(source: string, target: string): Promise<void> {
    const { record } = findImage(this.ctx.repo, source);
    const ref = normalizeReference(target);
    if (ref.digest !== undefined) {
      throw new SkiffError('InvalidArgument', 'refusing to create a tag with a digest reference', { field: 'tag' });
    }
    this.ctx.repo.tag(formatReference(ref), record.id, this.ctx.now());
    this.emit({ action: 'tag', id: record.id, attributes: { name: familiarString(ref) } });
  }

  remove(nameOrId: string, opts?: RemoveOptions): Promise<DeleteResponseItem[]> {
    return removeImage(this.ctx, nameOrId, opts);
  }

  prune(opts?: PruneOptions): Promise<PruneResult> {
    return pruneImages(this.ctx, opts);
  }

  save(names: readonly string[], signal?: AbortSignal): Promise<Readable> {
    return saveArchive(this.ctx, names, signal);
  }

  load(archive: Readable, opts?: LoadOptions): Promise<LoadResult> {
    return loadArchive(this.ctx, archive, opts);
  }

  import(rootfs: Readable, opts?: ImportOptions): Promise<Digest> {
    return importRootfs(this.ctx, rootfs, opts);
  }

  async commit(req: { parentId: string; layer: Readable; config?: ImageRuntimeConfig; comment?: string; author?: string; reference?: string; signal?: AbortSignal }): Promise<Digest> {
    const id = await commitLayer(this.ctx, req);
    this.emit({ action: 'tag', id, attributes: { name: req.reference ?? id } });
    return id;
  }

  async forContainer(nameOrId: string): Promise<ImageForContainer> {
    const { record } = findImage(this.ctx.repo, nameOrId);
    const { config } = await loadImage(this.ctx, record);
    return {
      id: record.id as Digest,
      config: config.config ?? {},
      platform: { os: config.os, architecture: config.architecture, ...(config.variant === undefined ? {} : { variant: config.variant }) },
      snapshotParent: record.chainId,
    };
  }

  prepareRootfs(key: string, image: ImageForContainer): Promise<Mount[]> {
    return this.ctx.snapshots.prepare(key, image.snapshotParent === '' ? undefined : image.snapshotParent);
  }

  async systemDf(): Promise<SystemDfImages> {
    const images: ImageSummary[] = [];
    for (const r of this.ctx.repo.all()) images.push(await summaryOf(this.ctx, r));
    let layersSize = 0;
    await this.ctx.snapshots.walk(async (info) => {
      if (info.kind === 'committed') layersSize += (await this.ctx.snapshots.usage(info.name)).size;
    });
    return { LayersSize: layersSize, Images: images };
  }

  async login(auth: AuthConfig): Promise<{ Status: string; IdentityToken: string }> {
    const server = auth.serveraddress === undefined || auth.serveraddress === '' ? 'docker.io' : auth.serveraddress;
    const host = registryHost(convertToHostname(server));
    const client = this.client(auth);
    try {
      const res = await client.request(host, { method: 'GET', path: '/v2/', scopes: [], what: `login to ${server}` });
      await res.body.dump();
      return { Status: 'Login Succeeded', IdentityToken: '' };
    } finally {
      await client.destroy();
    }
  }

  subscribe(listener: (e: ImageEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The snapshotter, for engine/ to mount and remove container layers. */
  get snapshotter(): Snapshotter {
    return this.ctx.snapshots;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ctx.lock.exclusive(async () => {
      this.ctx.snapshots.close();
      this.db?.close();
    });
  }
}

/** Every `<dir>/<host>/*.crt` (docker's /etc/docker/certs.d layout), read at each client creation. */
function registryCas(dir: string): string[] {
  const cas: string[] = [];
  let hosts: string[];
  try {
    hosts = readdirSync(dir);
  } catch {
    return cas;
  }
  for (const host of hosts) {
    let files: string[];
    try {
      files = readdirSync(join(dir, host));
    } catch {
      continue;
    }
    for (const f of files.filter((x) => x.endsWith('.crt')).sort()) cas.push(readFileSync(join(dir, host, f), 'utf8'));
  }
  return cas;
}

export async function openImageService(opts: ImageServiceOptions): Promise<ImageService & { readonly snapshotter: Snapshotter }> {
  const root = opts.root;
  await mkdir(root, { recursive: true, mode: 0o711 });
  const tempDir = join(root, 'tmp');
  await rm(tempDir, { recursive: true, force: true });
  await mkdir(tempDir, { mode: 0o700 });
  const content = await new LocalContentStore({ root: join(root, 'content') }).init();
  const driver = opts.snapshotter ?? 'overlay';
  const snapshots: Snapshotter = driver === 'overlay'
    ? await OverlaySnapshotter.open(join(root, 'snapshots', 'overlay'))
    : await CopySnapshotter.open(join(root, 'snapshots', 'copy'));
  let db: SqliteDb;
  try {
    db = opts.db ?? openDatabase(join(root, 'skiff.db'));
  } catch (err) {
    snapshots.close();
    throw err;
  }
  const ownsDb = opts.db === undefined;
  let service: LocalImageService | undefined;
  const ctx: ImageContext = {
    repo: new ImageRepo(db),
    content,
    snapshots,
    driver: driver === 'overlay' ? 'overlayfs' : 'copy',
    tempDir,
    logger: opts.logger ?? silentLogger,
    lock: new RwLock(),
    useChecker: opts.useChecker ?? (() => ({ containers: 0 })),
    maxConcurrentDownloads: opts.maxConcurrentDownloads ?? 3,
    maxConcurrentUploads: opts.maxConcurrentUploads ?? 5,
    emit: (e) => service?.emit(e),
    now: () => Date.now(),
  };
  service = new LocalImageService(ctx, ownsDb ? db : undefined, opts);
  try {
    const report = await reconcileImages(ctx, opts.fetchIngestMaxAgeMs === undefined ? {} : { fetchIngestMaxAgeMs: opts.fetchIngestMaxAgeMs });
    const swept = report.removedRows.length + report.removedActiveSnapshots.length + report.removedSnapshots.length + report.abortedIngests.length;
    if (swept > 0 || report.removedBlobsBytes > 0) ctx.logger.info({ op: 'reconcile', ...report }, 'image store reconciled');
  } catch (err) {
    await service.close();
    throw err;
  }
  return service;
}
