// docker push: every tag of the repository (or the one named) goes up from the content store with
// its manifest; the repo digest the registry now serves is recorded (RepoDigests).

import { SkiffError, type Digest } from '../base/index.js';
import { MediaType, isConfigMediaType } from '../oci/index.js';
import {
  Pusher, familiarName, formatReference, normalizeReference, parseNormalizedNamed,
  type ProgressEvent, type RegistryClient,
} from '../registry/index.js';
import type { ImageContext } from './context.js';
import { noSuchImage } from './lookup.js';
import { shortLayerId } from './unpack.js';
import type { ImageProgressListener, PushOptions, PushResult } from './types.js';

function pushProgressAdapter(onProgress: ImageProgressListener | undefined): ((e: ProgressEvent) => void) | undefined {
  if (onProgress === undefined) return undefined;
  return (e) => {
    if (e.kind !== 'blob' || isConfigMediaType(e.mediaType) || e.mediaType === MediaType.OciEmpty) return;
    const id = shortLayerId(e.digest);
    switch (e.status) {
      case 'preparing': onProgress({ kind: 'layer', id, status: 'Preparing' }); break;
      case 'uploading': onProgress({ kind: 'layer', id, status: 'Pushing', current: e.currentBytes, total: e.totalBytes }); break;
      case 'pushed': onProgress({ kind: 'layer', id, status: 'Pushed' }); break;
      case 'mounted': onProgress({ kind: 'layer', id, status: 'Mounted from', detail: '' }); break;
      case 'layer-already-exists': onProgress({ kind: 'layer', id, status: 'Layer already exists' }); break;
      default: break;
    }
  };
}

export async function pushImage(ctx: ImageContext, client: RegistryClient, input: string, opts: PushOptions = {}): Promise<PushResult[]> {
  const named = parseNormalizedNamed(input);
  if (named.digest !== undefined) {
    throw new SkiffError('InvalidArgument', `cannot push a digest reference: ${input}`, { field: 'reference' });
  }
  const repository = `${named.domain}/${named.path}`;
  const tags = named.tag !== undefined
    ? [formatReference(named)]
    : ctx.repo.all().flatMap((r) => ctx.repo.tagsOf(r.id).map((t) => t.reference)).filter((t) => t.startsWith(`${repository}:`)).sort();
  if (tags.length === 0) throw new SkiffError('NotFound', `An image does not exist locally with the tag: ${familiarName(named)}`);
  opts.onProgress?.({ kind: 'status', status: `The push refers to repository [${repository}]` });
  const results: PushResult[] = [];
  for (const tagRef of tags) {
    const imageId = ctx.repo.tagTarget(tagRef);
    const record = imageId === undefined ? undefined : ctx.repo.get(imageId);
    if (record === undefined) throw noSuchImage(input);
    const reference = normalizeReference(tagRef);
    const adapter = pushProgressAdapter(opts.onProgress);
    const pushed = await new Pusher(client).push(reference, ctx.content, {
      mediaType: record.targetMediaType, digest: record.targetDigest as Digest, size: record.targetSize,
    }, {
      concurrency: ctx.maxConcurrentUploads,
      ...(adapter === undefined ? {} : { onProgress: adapter }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    ctx.repo.put(record, [], [formatReference({ ...reference, tag: undefined, digest: pushed.digest })], ctx.now());
    const tag = reference.tag ?? 'latest';
    opts.onProgress?.({ kind: 'status', status: `${tag}: digest: ${pushed.digest} size: ${pushed.size}` });
    opts.onProgress?.({ kind: 'aux', aux: { Tag: tag, Digest: pushed.digest, Size: pushed.size } });
    ctx.emit({ action: 'push', id: `${familiarName(reference)}:${tag}`, attributes: { name: `${familiarName(reference)}:${tag}` } });
    results.push({ tag, digest: pushed.digest, size: pushed.size });
  }
  return results;
}
