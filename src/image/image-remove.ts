// docker rmi and image prune (daemon/images/image_delete.go): untag what the user named; delete the
// image when no reference is left; refuse with docker's conflict texts when containers use it. A
// deleted image's snapshots go unless another image still stands on them, then its blobs go by
// garbage collection from the remaining images.

import { SkiffError, isCode, shortId, type Digest } from '../base/index.js';
import { collectGarbage, imageChildren } from '../content/index.js';
import { familiarString, normalizeReference, parseNormalizedNamed } from '../registry/index.js';
import type { ImageRecord } from '../store/index.js';
import { chainIds, loadImage, type ImageContext } from './context.js';
import { labelFilterMatches, parseTimestampFilter } from './image-inspect.js';
import { findImage } from './lookup.js';
import type { DeleteResponseItem, PruneOptions, PruneResult, RemoveOptions } from './types.js';

function hex(id: string): string {
  return shortId(id.slice(id.indexOf(':') + 1));
}

function repositoryOf(reference: string): string {
  const r = normalizeReference(reference);
  return `${r.domain}/${r.path}`;
}

export async function removeImage(ctx: ImageContext, nameOrId: string, opts: RemoveOptions = {}): Promise<DeleteResponseItem[]> {
  const found = findImage(ctx.repo, nameOrId);
  const { record } = found;
  const out: DeleteResponseItem[] = [];
  const refs = (): string[] => [...ctx.repo.tagsOf(record.id).map((t) => t.reference), ...ctx.repo.digestsOf(record.id)];
  const use = ctx.useChecker(record.id as Digest);

  if (found.reference !== undefined) {
    // By name: untag that reference. A tag takes its repository's digests along when it was the
    // repository's last tag. The image goes only when nothing refers to it and no container uses it.
    const ref = found.reference;
    const named = ref.digest === undefined ? `${ref.domain}/${ref.path}:${ref.tag ?? 'latest'}` : `${ref.domain}/${ref.path}@${ref.digest}`;
    const container = use.runningContainer ?? use.stoppedContainer;
    if (opts.force !== true && container !== undefined && refs().every((r) => r === named || (r.includes('@') && repositoryOf(r) === repositoryOf(named)))) {
      throw new SkiffError('Conflict', `conflict: unable to remove repository reference "${nameOrId}" (must force) - container ${shortId(container)} is using its referenced image ${hex(record.id)}`);
    }
    untag(ctx, named, record.id, out);
    const repo = repositoryOf(named);
    if (ref.digest === undefined && !refs().some((r) => !r.includes('@') && repositoryOf(r) === repo)) {
      for (const d of refs().filter((r) => r.includes('@') && repositoryOf(r) === repo)) untag(ctx, d, record.id, out);
    }
    if (refs().length > 0 || use.containers > 0) return out;
  } else {
    const all = refs();
    const singleReference = all.filter((r) => !r.includes('@')).length <= 1 && new Set(all.map(repositoryOf)).size <= 1;
    if (!singleReference && opts.force !== true) {
      throw new SkiffError('Conflict', `conflict: unable to delete ${hex(record.id)} (must be forced) - image is referenced in multiple repositories`);
    }
    if (use.runningContainer !== undefined) {
      throw new SkiffError('Conflict', `conflict: unable to delete ${hex(record.id)} (cannot be forced) - image is being used by running container ${shortId(use.runningContainer)}`);
    }
    if (use.stoppedContainer !== undefined && opts.force !== true) {
      throw new SkiffError('Conflict', `conflict: unable to delete ${hex(record.id)} (must be forced) - image is being used by stopped container ${shortId(use.stoppedContainer)}`);
    }
    for (const r of all) untag(ctx, r, record.id, out);
  }
  out.push(...(await deleteImage(ctx, record, opts.noPrune === true)));
  return out;
}

function untag(ctx: ImageContext, reference: string, imageId: string, out: DeleteResponseItem[]): void {
  if (reference.includes('@')) ctx.repo.removeDigest(reference, imageId);
  else ctx.repo.untag(reference);
  const shown = familiarString(parseNormalizedNamed(reference));
  out.push({ Untagged: shown });
  ctx.emit({ action: 'untag', id: imageId, attributes: { name: shown } });
}

/** Deletes the row, then the snapshots no other image stands on, then unreferenced blobs. */
async function deleteImage(ctx: ImageContext, record: ImageRecord, keepLayers: boolean): Promise<DeleteResponseItem[]> {
  const out: DeleteResponseItem[] = [];
  let diffIds: Digest[] = [];
  try {
    diffIds = (await loadImage(ctx, record)).config.rootfs.diff_ids;
  } catch (err) {
    if (!isCode(err, 'NotFound') && !isCode(err, 'DataLoss')) throw err;
  }
  ctx.repo.delete(record.id);
  out.push({ Deleted: record.id });
  ctx.emit({ action: 'delete', id: record.id, attributes: { name: record.id } });
  if (keepLayers) return out;
  await ctx.lock.exclusive(async () => {
    const tops = ctx.repo.chainIds();
    const chain = chainIds(diffIds);
    for (let i = chain.length - 1; i >= 0; i--) {
      const name = chain[i]!;
      if (tops.has(name)) break;
      try {
        await ctx.snapshots.remove(name);
        out.push({ Deleted: name });
      } catch (err) {
        if (isCode(err, 'NotFound')) continue;
        if (isCode(err, 'FailedPrecondition')) break; // another image or a container stands on it
        throw err;
      }
    }
    await collectContentGarbage(ctx);
  });
  return out;
}

/** Blobs not reachable from any image's manifest or repo digest are removed (lock held by caller). */
export async function collectContentGarbage(ctx: ImageContext): Promise<number> {
  const roots: Digest[] = [];
  for (const r of ctx.repo.all()) {
    roots.push(r.targetDigest as Digest);
    for (const d of ctx.repo.digestsOf(r.id)) roots.push(d.slice(d.indexOf('@') + 1) as Digest);
  }
  const result = await collectGarbage(ctx.content, { roots, children: imageChildren });
  return result.removedBytes;
}

const PRUNE_FILTERS = new Set(['dangling', 'until', 'label', 'label!']);

export async function pruneImages(ctx: ImageContext, opts: PruneOptions = {}): Promise<PruneResult> {
  const filters = opts.filters ?? {};
  for (const key of Object.keys(filters)) {
    if (!PRUNE_FILTERS.has(key)) throw new SkiffError('InvalidArgument', `invalid filter '${key}'`, { field: `filters.${key}` });
  }
  const d = filters.dangling?.[0] ?? 'true';
  if (!['true', 'false', '1', '0'].includes(d)) throw new SkiffError('InvalidArgument', `invalid filter 'dangling=${d}'`, { field: 'filters.dangling' });
  const danglingOnly = d === 'true' || d === '1';
  const until = filters.until?.[0] === undefined ? undefined : parseTimestampFilter(filters.until[0], ctx.now());

  const deleted: DeleteResponseItem[] = [];
  let reclaimed = 0;
  for (const record of ctx.repo.all()) {
    const hasTags = ctx.repo.tagsOf(record.id).length > 0;
    if (danglingOnly && hasTags) continue;
    const use = ctx.useChecker(record.id as Digest);
    if (use.containers > 0) continue;
    const { config } = await loadImage(ctx, record).catch(() => ({ config: undefined }));
    const labels = config?.config?.Labels ?? {};
    if (filters.label !== undefined && !labelFilterMatches(labels, filters.label)) continue;
    if (filters['label!'] !== undefined && filters['label!'].some((f) => labelFilterMatches(labels, [f]))) continue;
    if (until !== undefined) {
      const created = Date.parse(config?.created ?? '');
      if (!(created < until)) continue;
    }
    try {
      const items = await removeImage(ctx, record.id, { force: !danglingOnly });
      deleted.push(...items);
      reclaimed += record.sizeBytes;
    } catch (err) {
      if (!isCode(err, 'Conflict') && !isCode(err, 'NotFound')) throw err;
    }
  }
  return { ImagesDeleted: deleted, SpaceReclaimed: reclaimed };
}
