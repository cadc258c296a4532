// What the overlay and copy drivers share: the metadata rows, the on-disk layout
// (<root>/snapshots/<id>/{fs,work}, <root>/l/<link>), crash-safe create/commit/remove and reconcile.
// The drivers supply how a new snapshot's directory is filled and which mounts it has.

import { mkdir, mkdtemp, readdir, readlink, rename, unlink, lstat } from 'node:fs/promises';
import { renameSync, symlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SkiffError, invalidArgument, notFound, failedPrecondition } from '../base/index.js';
import { SnapshotMetadata, matchesFilter, type SnapshotRow } from './metadata.js';
import { diskUsage, removeTree } from './fs-tree.js';
import type {
  Mount, ReconcileReport, SnapshotFilter, SnapshotInfo, SnapshotKind, SnapshotOpts, Snapshotter, Usage, WalkFn,
} from './types.js';

const LINK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LINK_LENGTH = 12;

export function validateKey(key: string, what = 'snapshot key'): string {
  if (typeof key !== 'string' || key === '') throw invalidArgument(`${what} cannot be empty`);
  if (key.includes('\0')) throw invalidArgument(`${what} ${JSON.stringify(key)} contains a NUL byte`);
  if (key.length > 4096) throw invalidArgument(`${what} is longer than 4096 characters`);
  return key;
}

export abstract class BaseSnapshotter implements Snapshotter {
  protected readonly meta: SnapshotMetadata;
  protected readonly snapshotsDir: string;
  protected readonly linksDir: string;

  protected constructor(readonly root: string, protected readonly useLinks: boolean) {
    this.meta = new SnapshotMetadata(join(root, 'metadata.db'));
    this.snapshotsDir = join(root, 'snapshots');
    this.linksDir = join(root, 'l');
  }

  protected static async prepareRoot(root: string): Promise<void> {
    await mkdir(join(root, 'snapshots'), { recursive: true, mode: 0o700 });
    await mkdir(join(root, 'l'), { recursive: true, mode: 0o700 });
  }

  /** Fills a fresh temp snapshot dir (`fs/`, and `work/` for overlay) for a snapshot on `parent`. */
  protected abstract populate(dir: string, parent: SnapshotRow | undefined, kind: SnapshotKind): Promise<void>;
  /** The mounts of an active snapshot or view. */
  protected abstract mountsOf(row: SnapshotRow): Mount[];

  protected dirOf(id: number): string {
    return join(this.snapshotsDir, String(id));
  }
  protected fsOf(id: number): string {
    return join(this.dirOf(id), 'fs');
  }
  protected linkOf(row: SnapshotRow): string {
    return join(this.linksDir, row.link!);
  }

  protected mustGet(key: string): SnapshotRow {
    validateKey(key);
    const row = this.meta.get(key);
    if (row === undefined) throw notFound(`snapshot ${key} does not exist`);
    return row;
  }

  async stat(key: string): Promise<SnapshotInfo> {
    return this.meta.info(this.mustGet(key));
  }

  async usage(key: string): Promise<Usage> {
    const row = this.mustGet(key);
    if (row.kind === 'committed' && row.size !== null && row.inodes !== null) return { size: row.size, inodes: row.inodes };
    return diskUsage(this.fsOf(row.id));
  }

  async mounts(key: string): Promise<Mount[]> {
    const row = this.mustGet(key);
    if (row.kind === 'committed') throw failedPrecondition(`snapshot ${key} is committed: it has no mounts`);
    return this.mountsOf(row);
  }

  prepare(key: string, parent?: string, opts?: SnapshotOpts): Promise<Mount[]> {
    return this.create('active', key, parent, opts);
  }

  view(key: string, parent?: string, opts?: SnapshotOpts): Promise<Mount[]> {
    return this.create('view', key, parent, opts);
  }

  private checkCreate(key: string, parent: string | undefined): SnapshotRow | undefined {
    if (this.meta.get(key) !== undefined) throw new SkiffError('AlreadyExists', `snapshot ${key} already exists`);
    if (parent === undefined) return undefined;
    const p = this.meta.get(parent);
    if (p === undefined) throw notFound(`parent snapshot ${parent} of ${key} does not exist`);
    if (p.kind !== 'committed') throw invalidArgument(`parent ${parent} of ${key} is not a committed snapshot`);
    return p;
  }

  private async create(kind: SnapshotKind, key: string, parent: string | undefined, opts?: SnapshotOpts): Promise<Mount[]> {
    validateKey(key);
    if (parent !== undefined) validateKey(parent, 'parent snapshot');
    const parentRow = this.checkCreate(key, parent);
    const temp = await mkdtemp(join(this.snapshotsDir, 'new-'));
    try {
      await this.populate(temp, parentRow, kind);
      // One short synchronous transaction: re-check, insert, rename into place, link.
      const row = this.meta.transaction(() => {
        const p = this.checkCreate(key, parent);
        if (p?.id !== parentRow?.id) throw failedPrecondition(`parent ${parent} of ${key} changed while preparing`);
        const link = this.useLinks ? this.freshLink() : null;
        const id = this.meta.insert({ key, parentId: p?.id ?? null, kind, labels: opts?.labels ?? {}, link });
        if (existsSync(this.dirOf(id))) throw new SkiffError('Internal', `snapshot dir ${this.dirOf(id)} exists without a row; run reconcile`);
        renameSync(temp, this.dirOf(id));
        try {
          if (link !== null) symlinkSync(`../snapshots/${id}/fs`, join(this.linksDir, link));
        } catch (err) {
          renameSync(this.dirOf(id), temp);
          throw err;
        }
        return this.meta.byId(id)!;
      });
      return this.mountsOf(row);
    } catch (err) {
      await removeTree(temp);
      throw err;
    }
  }

  private freshLink(): string {
    for (;;) {
      const bytes = randomBytes(LINK_LENGTH);
      let s = '';
      for (const b of bytes) s += LINK_ALPHABET[b & 31];
      if (!existsSync(join(this.linksDir, s))) return s;
    }
  }

  async commit(name: string, key: string, opts?: SnapshotOpts): Promise<void> {
    validateKey(name, 'snapshot name');
    const row = this.mustGet(key);
    if (row.kind !== 'active') throw failedPrecondition(`snapshot ${key} is a ${row.kind} snapshot: only an active one can be committed`);
    if (this.meta.get(name) !== undefined) throw new SkiffError('AlreadyExists', `snapshot ${name} already exists`);
    const usage = await diskUsage(this.fsOf(row.id));
    this.meta.transaction(() => {
      const now = this.meta.get(key);
      if (now === undefined || now.id !== row.id || now.kind !== 'active') throw failedPrecondition(`snapshot ${key} changed while committing`);
      if (this.meta.get(name) !== undefined) throw new SkiffError('AlreadyExists', `snapshot ${name} already exists`);
      const labels = opts?.labels ?? (JSON.parse(row.labels) as Record<string, string>);
      this.meta.markCommitted(row.id, name, labels, usage);
    });
  }

  async remove(key: string): Promise<void> {
    const row = this.mustGet(key);
    this.meta.transaction(() => {
      const now = this.meta.byId(row.id);
      if (now === undefined) throw notFound(`snapshot ${key} does not exist`);
      if (this.meta.childCount(row.id) > 0) throw failedPrecondition(`cannot remove snapshot ${key}: it has children`);
      this.meta.delete(row.id);
    });
    // The row is gone: from here on a crash leaves only an orphan dir, which reconcile sweeps.
    if (row.link !== null) await unlink(this.linkOf(row)).catch(() => {});
    const doomed = join(this.snapshotsDir, `rm-${row.id}-${randomBytes(4).toString('hex')}`);
    try {
      await rename(this.dirOf(row.id), doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await removeTree(doomed);
  }

  async walk(fn: WalkFn, filter?: SnapshotFilter): Promise<void> {
    for (const row of this.meta.all()) {
      const info = this.meta.info(row);
      if (matchesFilter(info, filter)) await fn(info);
    }
  }

  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { removedTemps: [], removedOrphans: [], removedLinks: [] };
    const rows = this.meta.all();
    const ids = new Set(rows.map((r) => String(r.id)));
    for (const name of await readdir(this.snapshotsDir)) {
      const path = join(this.snapshotsDir, name);
      if (name.startsWith('new-') || name.startsWith('rm-')) {
        await removeTree(path);
        report.removedTemps.push(path);
      } else if (!ids.has(name)) {
        await removeTree(path);
        report.removedOrphans.push(path);
      }
    }
    const links = new Map(rows.filter((r) => r.link !== null).map((r) => [r.link!, r]));
    for (const name of await readdir(this.linksDir)) {
      const path = join(this.linksDir, name);
      const row = links.get(name);
      const target = await readlink(path).catch(() => undefined);
      if (row === undefined || target !== `../snapshots/${row.id}/fs`) {
        await unlink(path).catch(() => {});
        report.removedLinks.push(path);
      }
    }
    // Rows whose link is missing (a crash between rename and link cannot happen: both are in the
    // transaction) are repaired rather than dropped.
    for (const row of rows) {
      if (row.link !== null && (await lstat(this.linkOf(row)).catch(() => undefined)) === undefined) {
        try {
          symlinkSync(`../snapshots/${row.id}/fs`, this.linkOf(row));
        } catch {
          // left for the next reconcile
        }
      }
    }
    return report;
  }

  close(): void {
    this.meta.close();
  }
}
