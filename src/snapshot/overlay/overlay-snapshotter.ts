// Overlay snapshotter (containerd's overlayfs plugin, docker's overlay2 links): each snapshot is
// <root>/snapshots/<id>/{fs,work}; lowers are named through <root>/l/<short> so that even a deep
// chain's lowerdir= fits in a page once made relative (sys/mount.ts compactLowerdir).

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BaseSnapshotter } from '../base-snapshotter.js';
import type { SnapshotRow } from '../metadata.js';
import type { Mount, SnapshotKind } from '../types.js';

export interface OverlaySnapshotterOptions {
  /** Extra overlay options appended to every overlay mount (e.g. "index=off"). */
  mountOptions?: string[];
}

export class OverlaySnapshotter extends BaseSnapshotter {
  private readonly extraOptions: string[];

  private constructor(root: string, opts: OverlaySnapshotterOptions) {
    super(root, true);
    this.extraOptions = opts.mountOptions ?? [];
  }

  /** Opens (creating if needed) the snapshotter at `root` and reconciles what a crash left. */
  static async open(root: string, opts: OverlaySnapshotterOptions = {}): Promise<OverlaySnapshotter> {
    await BaseSnapshotter.prepareRoot(root);
    const s = new OverlaySnapshotter(root, opts);
    try {
      await s.reconcile();
    } catch (err) {
      s.close();
      throw err;
    }
    return s;
  }

  protected async populate(dir: string, _parent: SnapshotRow | undefined, kind: SnapshotKind): Promise<void> {
    await mkdir(join(dir, 'fs'), { mode: 0o755 });
    if (kind === 'active') await mkdir(join(dir, 'work'), { mode: 0o700 });
  }

  protected mountsOf(row: SnapshotRow): Mount[] {
    const parents = this.meta.chain(row.id).slice(1);
    if (parents.length === 0) {
      return [{ type: 'bind', source: this.fsOf(row.id), options: [row.kind === 'view' ? 'ro' : 'rw', 'rbind'] }];
    }
    if (row.kind === 'view' && parents.length === 1) {
      return [{ type: 'bind', source: this.fsOf(parents[0]!.id), options: ['ro', 'rbind'] }];
    }
    const lowers = parents.map((p) => this.linkOf(p)).join(':');
    const options: string[] = [];
    if (row.kind === 'active') options.push(`workdir=${join(this.dirOf(row.id), 'work')}`, `upperdir=${this.fsOf(row.id)}`);
    options.push(`lowerdir=${lowers}`, ...this.extraOptions);
    return [{ type: 'overlay', source: 'overlay', options }];
  }
}
