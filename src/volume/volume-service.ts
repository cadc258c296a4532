// Named and anonymous volumes with docker's local driver: a directory <root>/<name>/_data, or a
// filesystem mounted there on first use (`--opt type=tmpfs --opt device=tmpfs --opt o=size=64m`).
// Which containers use a volume is the engine's knowledge: it passes a checker, as for images.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError } from '../base/index.js';
import { MNT_DETACH, mountPoints, mountRaw, parseMountOptions, umount } from '../sys/index.js';
import { VolumeRepo, type SqliteDb, type VolumeRow } from '../store/index.js';

/** docker's Volume object (GET /volumes/{name}). */
export interface VolumeInfo {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string> | null;
  Scope: 'local';
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface VolumeServiceOptions {
  db: SqliteDb;
  /** `<data-root>/volumes`. */
  root: string;
  /** Names of the containers using a volume (engine/). */
  usedBy?: (name: string) => string[];
}

const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const OPTIONS = new Set(['type', 'device', 'o', 'size']);

export class VolumeService {
  private readonly repo: VolumeRepo;
  usedBy: (name: string) => string[];

  constructor(private readonly opts: VolumeServiceOptions) {
    this.repo = new VolumeRepo(opts.db);
    this.usedBy = opts.usedBy ?? (() => []);
  }

  private dataDir(name: string): string {
    return join(this.opts.root, name, '_data');
  }

  private info(v: VolumeRow): VolumeInfo {
    return {
      Name: v.name, Driver: v.driver, Mountpoint: this.dataDir(v.name), CreatedAt: v.createdAt, Labels: v.labels,
      Options: Object.keys(v.options).length === 0 ? null : v.options, Scope: 'local',
    };
  }

  /** docker volume create: an existing name is returned as is (docker's behaviour), unless options differ. */
  async create(req: { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> } = {}, anonymous = false): Promise<VolumeInfo> {
    const name = req.Name === undefined || req.Name === '' ? randomBytes(32).toString('hex') : req.Name;
    if (!VALID_NAME.test(name)) {
      throw new SkiffError('InvalidArgument', `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`, { field: 'Name' });
    }
    const driver = req.Driver === undefined || req.Driver === '' ? 'local' : req.Driver;
    if (driver !== 'local') throw new SkiffError('NotFound', `plugin "${driver}" not found`, { field: 'Driver' });
    const options = req.DriverOpts ?? {};
    for (const k of Object.keys(options)) {
      if (!OPTIONS.has(k)) throw new SkiffError('InvalidArgument', `invalid option key: "${k}"`, { field: `DriverOpts.${k}` });
    }
    if ((options.type !== undefined) !== (options.device !== undefined)) {
      throw new SkiffError('InvalidArgument', 'missing required option: "type" and "device" go together', { field: 'DriverOpts' });
    }
    const existing = this.repo.get(name);
    if (existing !== undefined) {
      if (JSON.stringify(existing.options) !== JSON.stringify(options) && Object.keys(options).length > 0) {
        throw new SkiffError('Conflict', `volume name ${name} already in use with different options`);
      }
      return this.info(existing);
    }
    await mkdir(this.dataDir(name), { recursive: true, mode: 0o755 });
    const row: VolumeRow = { name, driver, labels: req.Labels ?? {}, options, anonymous, createdAt: new Date().toISOString() };
    this.repo.insert(row);
    return this.info(row);
  }

  inspect(name: string): VolumeInfo {
    const v = this.repo.get(name);
    if (v === undefined) throw new SkiffError('NotFound', `get ${name}: no such volume`);
    return this.info(v);
  }

  list(filters: Record<string, string[]> = {}): { Volumes: VolumeInfo[]; Warnings: string[] } {
    for (const k of Object.keys(filters)) {
      if (!['name', 'label', 'dangling', 'driver'].includes(k)) throw new SkiffError('InvalidArgument', `invalid filter '${k}'`, { field: `filters.${k}` });
    }
    const vols = this.repo.all().filter((v) => {
      if (filters.name !== undefined && !filters.name.some((n) => v.name.includes(n))) return false;
      if (filters.driver !== undefined && !filters.driver.includes(v.driver)) return false;
      if (filters.dangling !== undefined) {
        const dangling = this.usedBy(v.name).length === 0;
        if (filters.dangling.some((d) => (d === 'true' || d === '1') !== dangling)) return false;
      }
      if (filters.label !== undefined && !filters.label.every((l) => { const i = l.indexOf('='); return i < 0 ? l in v.labels : v.labels[l.slice(0, i)] === l.slice(i + 1); })) return false;
      return true;
    });
    return { Volumes: vols.map((v) => this.info(v)), Warnings: [] };
  }

  /** The host path a container mounts, mounting the volume's filesystem first when it has one. */
  async mountpoint(name: string): Promise<string> {
    const v = this.repo.get(name);
    if (v === undefined) throw new SkiffError('NotFound', `get ${name}: no such volume`);
    const dir = this.dataDir(name);
    if (v.options.type !== undefined && !mountPoints().includes(dir)) {
      const o = (v.options.o ?? '').split(',').filter((x) => x !== '');
      const { flags, data } = parseMountOptions(o);
      try {
        mountRaw(v.options.device!, dir, v.options.type, flags, data);
      } catch (err) {
        throw new SkiffError('InvalidArgument', `error while mounting volume '${dir}': ${(err as Error).message}`, { cause: err });
      }
    }
    return dir;
  }

  /** Whether the volume is empty (copy-up of the image's content happens only then). */
  async isEmpty(name: string): Promise<boolean> {
    return (await readdir(await this.mountpoint(name))).length === 0;
  }

  async remove(name: string, force = false): Promise<void> {
    const v = this.repo.get(name);
    if (v === undefined) {
      if (force) return;
      throw new SkiffError('NotFound', `get ${name}: no such volume`);
    }
    const users = this.usedBy(name);
    if (users.length > 0) throw new SkiffError('Conflict', `remove ${name}: volume is in use - [${users.join(', ')}]`);
    const dir = this.dataDir(name);
    if (mountPoints().includes(dir)) umount(dir, MNT_DETACH);
    this.repo.delete(name);
    await rm(join(this.opts.root, name), { recursive: true, force: true });
  }

  /** docker volume prune: unused anonymous volumes (all unused ones with all=true). */
  async prune(filters: Record<string, string[]> = {}): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    const all = (filters.all ?? []).some((x) => x === 'true' || x === '1');
    const deleted: string[] = [];
    for (const v of this.repo.all()) {
      if (!all && !v.anonymous) continue;
      if (this.usedBy(v.name).length > 0) continue;
      if (filters.label !== undefined && !filters.label.every((l) => { const i = l.indexOf('='); return i < 0 ? l in v.labels : v.labels[l.slice(0, i)] === l.slice(i + 1); })) continue;
      await this.remove(v.name);
      deleted.push(v.name);
    }
    return { VolumesDeleted: deleted.length === 0 ? null : deleted, SpaceReclaimed: 0 };
  }

  isAnonymous(name: string): boolean {
    return this.repo.get(name)?.anonymous === true;
  }
}
