// Copying snapshotter, for filesystems without overlay: each prepare copies its parent's whole tree
// (owners, modes, xattrs, hardlinks, devices kept) and mounts are plain binds. Slow and big, but it
// passes the same suite as the overlay driver.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BaseSnapshotter } from '../base-snapshotter.js';
import { copyTree } from '../fs-tree.js';
import type { SnapshotRow } from '../metadata.js';
import type { Mount, SnapshotKind } from '../types.js';

export class CopySnapshotter extends BaseSnapshotter {
  private constructor(root: string) {
    super(root, false);
  }

  static async open(root: string): Promise<CopySnapshotter> {
    await BaseSnapshotter.prepareRoot(root);
    const s = new CopySnapshotter(root);
    try {
      await s.reconcile();
    } catch (err) {
      s.close();
      throw err;
    }
    return s;
  }

  protected async populate(dir: string, parent: SnapshotRow | undefined, _kind: SnapshotKind): Promise<void> {
    const fs = join(dir, 'fs');
    await mkdir(fs, { mode: 0o755 });
    if (parent !== undefined) await copyTree(this.fsOf(parent.id), fs);
  }

  protected mountsOf(row: SnapshotRow): Mount[] {
    return [{ type: 'bind', source: this.fsOf(row.id), options: [row.kind === 'view' ? 'ro' : 'rw', 'rbind'] }];
  }
}
