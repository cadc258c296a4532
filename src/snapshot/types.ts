// Snapshotter vocabulary, as containerd's core/snapshots: an *active* snapshot has a key and is
// writable, a *view* has a key and is read-only, a *committed* snapshot has a name and may be a
// parent. Keys and names share one namespace. Snapshotters return Mount[]; the caller mounts. [pure]

export type SnapshotKind = 'active' | 'view' | 'committed';

export type Labels = Record<string, string>;

/** A mount to perform (containerd's mount.Mount); `target` is a sub-path when several are stacked. */
export interface Mount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

export interface SnapshotInfo {
  kind: SnapshotKind;
  /** The key (active, view) or the name (committed). */
  name: string;
  /** Name of the committed parent, if any. */
  parent?: string;
  labels: Labels;
  created: Date;
  updated: Date;
}

export interface Usage {
  /** Bytes on disk (allocated blocks), hardlinked files counted once. */
  size: number;
  /** Distinct inodes, the snapshot's root directory included. */
  inodes: number;
}

export interface SnapshotOpts {
  labels?: Labels;
}

export interface SnapshotFilter {
  kind?: SnapshotKind;
  parent?: string;
  /** Every label given must be present with this value ('' matches any value). */
  labels?: Labels;
}

export type WalkFn = (info: SnapshotInfo) => void | Promise<void>;

export interface Snapshotter {
  /** Info of a snapshot by key or name; NotFound. */
  stat(key: string): Promise<SnapshotInfo>;
  /** Disk usage of the snapshot's own layer (not its parents). */
  usage(key: string): Promise<Usage>;
  /** The mounts of an active snapshot or a view; FailedPrecondition for a committed one. */
  mounts(key: string): Promise<Mount[]>;
  /** A writable snapshot on top of committed `parent`; AlreadyExists, NotFound, InvalidArgument. */
  prepare(key: string, parent?: string, opts?: SnapshotOpts): Promise<Mount[]>;
  /** A read-only snapshot of committed `parent`. */
  view(key: string, parent?: string, opts?: SnapshotOpts): Promise<Mount[]>;
  /** Turns active `key` into committed `name`; the key disappears. */
  commit(name: string, key: string, opts?: SnapshotOpts): Promise<void>;
  /** Removes a snapshot without children; FailedPrecondition when it has some. */
  remove(key: string): Promise<void>;
  walk(fn: WalkFn, filter?: SnapshotFilter): Promise<void>;
  /** Sweeps what a crash left: temp dirs, snapshot dirs without a row, stale links. */
  reconcile(): Promise<ReconcileReport>;
  close(): void;
}

export interface ReconcileReport {
  removedTemps: string[];
  removedOrphans: string[];
  removedLinks: string[];
}

/** How whiteouts are written by apply and read by diff. */
export type WhiteoutMode =
  /** Overlay upper dir: `.wh.x` → char device 0/0, `.wh..wh..opq` → trusted.overlay.opaque=y. */
  | 'overlay'
  /** Plain directory holding the whole tree: whiteouts remove the lower entries. */
  | 'copy';

/** Where a layer is applied for an active snapshot, derived from its mounts without mounting. */
export interface ApplyTarget {
  dir: string;
  mode: WhiteoutMode;
}

/** The directory a layer of an active snapshot's mounts is written to (upperdir or bind source). */
export function applyTargetOf(mounts: readonly Mount[]): ApplyTarget {
  if (mounts.length !== 1) throw new Error(`expected one mount, got ${mounts.length}`);
  const m = mounts[0]!;
  if (m.type === 'overlay') {
    const upper = m.options.find((o) => o.startsWith('upperdir='));
    if (upper === undefined) throw new Error('overlay mount without upperdir is read-only');
    return { dir: upper.slice('upperdir='.length), mode: 'overlay' };
  }
  if (m.type === 'bind' && !m.options.includes('ro')) return { dir: m.source, mode: 'copy' };
  throw new Error(`cannot apply a layer to a ${m.type} mount with options ${m.options.join(',')}`);
}
