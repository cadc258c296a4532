// Start-up reconcile of the image store (STYLE.md §2.7): what a crash during pull, load or rm can
// leave is swept here, so after a restart there is no half snapshot, no dangling row and no blob
// nobody refers to. Rows are written last by every verb, so a row whose manifest or snapshot is gone
// only comes from outside damage; it is dropped with a warning rather than served broken.

import { isCode } from '../base/index.js';
import { loadImage, chainIds, type ImageContext } from './context.js';
import { collectContentGarbage } from './image-remove.js';

export interface ImageReconcileReport {
  removedRows: string[];
  removedActiveSnapshots: string[];
  removedSnapshots: string[];
  abortedIngests: string[];
  removedBlobsBytes: number;
}

export interface ReconcileOptions {
  /** Ingests of registry fetches (resumable) older than this are aborted; others always. Default 1 h. */
  fetchIngestMaxAgeMs?: number;
}

export async function reconcileImages(ctx: ImageContext, opts: ReconcileOptions = {}): Promise<ImageReconcileReport> {
  const report: ImageReconcileReport = { removedRows: [], removedActiveSnapshots: [], removedSnapshots: [], abortedIngests: [], removedBlobsBytes: 0 };
  return ctx.lock.exclusive(async () => {
    // 1. Active snapshots of an interrupted unpack (the only active snapshots the image layer makes).
    const active: string[] = [];
    await ctx.snapshots.walk((info) => {
      if (info.kind === 'active' && info.name.startsWith('extract-')) active.push(info.name);
    });
    for (const key of active) {
      await ctx.snapshots.remove(key);
      report.removedActiveSnapshots.push(key);
    }

    // 2. Rows whose manifest, config or top snapshot is missing.
    const wanted = new Set<string>();
    for (const record of ctx.repo.all()) {
      try {
        const { config } = await loadImage(ctx, record);
        const chain = chainIds(config.rootfs.diff_ids);
        if (record.chainId !== '') await ctx.snapshots.stat(record.chainId);
        for (const c of chain) wanted.add(c);
      } catch (err) {
        if (!isCode(err, 'NotFound') && !isCode(err, 'DataLoss') && !isCode(err, 'InvalidArgument')) throw err;
        ctx.logger.warn({ image: record.id, err: (err as Error).message }, 'image is incomplete on disk; dropping its record');
        ctx.repo.delete(record.id);
        report.removedRows.push(record.id);
      }
    }

    // 3. Committed snapshots no image needs (a pull killed before it recorded its image), leaves first.
    for (;;) {
      const committed: { name: string; parent?: string }[] = [];
      const parents = new Set<string>();
      await ctx.snapshots.walk((info) => {
        if (info.parent !== undefined) parents.add(info.parent);
        if (info.kind === 'committed') committed.push(info);
      });
      const leaves = committed.filter((s) => !wanted.has(s.name) && !parents.has(s.name));
      if (leaves.length === 0) break;
      for (const s of leaves) {
        await ctx.snapshots.remove(s.name);
        report.removedSnapshots.push(s.name);
      }
    }

    // 4. Ingests: loads and imports restart from scratch; fetches resume unless they are old.
    const maxAge = opts.fetchIngestMaxAgeMs ?? 3600_000;
    for (const st of await ctx.content.statuses()) {
      if (st.ref.startsWith('fetch-') && ctx.now() - st.updatedAt.getTime() < maxAge) continue;
      await ctx.content.abort(st.ref).catch(() => {});
      report.abortedIngests.push(st.ref);
    }

    // 5. Blobs nothing refers to.
    report.removedBlobsBytes = await collectContentGarbage(ctx);
    return report;
  });
}

