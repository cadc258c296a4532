// A container's volumes: at create, named volumes are created if missing and an anonymous one is
// made for every `-v /path`, `--mount type=volume` without a source and image VOLUME not covered by
// another mount; at each start, an empty volume gets a copy of the image's content at its path
// (docker's copy-up), read through the rootfs with RESOLVE_IN_ROOT so a symlink cannot lead out.

import { closeSync } from 'node:fs';
import { SkiffError, isCode } from '../../base/index.js';
import { copyTree } from '../../snapshot/index.js';
import { fdPath, openDirInRoot, openRootDir } from '../../sys/index.js';
import type { VolumeService } from '../../volume/index.js';
import { cleanPath, parseBind, type ContainerConfig, type HostConfig } from '../spec/index.js';
import type { MountPoint } from './types.js';

/**
 * Resolves the create request's volumes into mount points, creating volumes as docker does.
 * `mountsOf` gives another container's mount points (`--volumes-from name[:ro|:rw]`): they are
 * taken after the container's own binds and mounts, which win for the same destination.
 */
export async function createVolumes(volumes: VolumeService, config: ContainerConfig, hc: HostConfig, mountsOf: (container: string) => readonly MountPoint[] = () => []): Promise<MountPoint[]> {
  const points: MountPoint[] = [];
  const covered = new Set<string>();
  for (const raw of hc.Binds ?? []) {
    const b = parseBind(raw);
    covered.add(b.destination);
    if (b.type === 'bind') {
      points.push({ Type: 'bind', Source: b.source, Destination: b.destination, Mode: raw.split(':')[2] ?? '', RW: b.rw, Propagation: b.propagation });
    } else {
      const v = await volumes.create(b.source === '' ? {} : { Name: b.source }, b.source === '');
      points.push({ Type: 'volume', Name: v.Name, Source: v.Mountpoint, Destination: b.destination, Driver: 'local', Mode: raw.split(':')[2] ?? 'z', RW: b.rw, Propagation: '' });
    }
  }
  for (const m of hc.Mounts ?? []) {
    const dest = cleanPath(m.Target ?? '');
    covered.add(dest);
    if (m.Type === 'volume') {
      const anonymous = (m.Source ?? '') === '';
      const v = await volumes.create(anonymous ? {} : { Name: m.Source!, ...(m.VolumeOptions?.Labels === undefined ? {} : { Labels: m.VolumeOptions.Labels }) }, anonymous);
      points.push({ Type: 'volume', Name: v.Name, Source: v.Mountpoint, Destination: dest, Driver: 'local', Mode: 'z', RW: m.ReadOnly !== true, Propagation: '' });
    } else if (m.Type === 'bind') {
      points.push({ Type: 'bind', Source: cleanPath(m.Source ?? ''), Destination: dest, Mode: '', RW: m.ReadOnly !== true, Propagation: m.BindOptions?.Propagation ?? 'rprivate' });
    }
  }
  for (const spec of hc.VolumesFrom ?? []) {
    const m = /^([^:]+)(?::(ro|rw))?$/.exec(spec);
    if (m === null) throw new SkiffError('InvalidArgument', `invalid --volumes-from value: "${spec}": expected container[:ro|:rw]`, { field: 'HostConfig.VolumesFrom' });
    for (const p of mountsOf(m[1]!)) {
      if (covered.has(p.Destination) || p.Type === 'tmpfs') continue;
      covered.add(p.Destination);
      points.push({ ...p, RW: m[2] === 'ro' ? false : m[2] === 'rw' ? true : p.RW, Mode: m[2] ?? p.Mode });
    }
  }
  for (const dest of Object.keys(config.Volumes ?? {})) {
    const d = cleanPath(dest);
    if (covered.has(d) || Object.hasOwn(hc.Tmpfs ?? {}, d)) continue;
    const v = await volumes.create({}, true);
    points.push({ Type: 'volume', Name: v.Name, Source: v.Mountpoint, Destination: d, Driver: 'local', Mode: '', RW: true, Propagation: '' });
  }
  return points;
}

/**
 * The mounts --volumes-from gave this container: its mount points that none of its own binds,
 * mounts or image volumes account for.
 */
export function inheritedMounts(hc: HostConfig, config: ContainerConfig, points: readonly MountPoint[], volumePaths: Record<string, string>): { source: string; destination: string; writable: boolean; propagation: string }[] {
  if ((hc.VolumesFrom ?? []).length === 0) return [];
  const own = new Set<string>([
    ...(hc.Binds ?? []).map((b) => parseBind(b).destination),
    ...(hc.Mounts ?? []).map((m) => cleanPath(m.Target ?? '')),
    ...Object.keys(config.Volumes ?? {}).map(cleanPath),
  ]);
  return points.filter((p) => !own.has(p.Destination)).map((p) => ({
    source: p.Type === 'volume' ? volumePaths[p.Destination] ?? p.Source : p.Source,
    destination: p.Destination, writable: p.RW, propagation: p.Propagation,
  }));
}

/** The spec builder's inputs: destination → path for every volume, name → path for named ones. */
export async function volumeInputs(volumes: VolumeService, points: readonly MountPoint[], rootfs: string): Promise<{ volumes: Record<string, string>; volumeNames: Record<string, string> }> {
  const byDest: Record<string, string> = {};
  const byName: Record<string, string> = {};
  for (const p of points) {
    if (p.Type !== 'volume' || p.Name === undefined) continue;
    const path = await volumes.mountpoint(p.Name);
    byDest[p.Destination] = path;
    byName[p.Name] = path;
    if (await volumes.isEmpty(p.Name)) await copyUp(rootfs, p.Destination, path);
  }
  return { volumes: byDest, volumeNames: byName };
}

async function copyUp(rootfs: string, dest: string, volumePath: string): Promise<void> {
  const rootFd = openRootDir(rootfs);
  let dirFd: number | undefined;
  try {
    dirFd = openDirInRoot(rootFd, dest.replace(/^\/+/, ''));
  } catch (err) {
    closeSync(rootFd);
    const errno = (err as { errno?: number }).errno;
    if (isCode(err, 'NotFound') || errno === 2 || errno === 20 || /no such file|not a directory/i.test((err as Error).message)) return; // nothing in the image there
    throw err;
  }
  try {
    await copyTree(`${fdPath(dirFd)}/.`, volumePath);
  } finally {
    closeSync(dirFd);
    closeSync(rootFd);
  }
}
