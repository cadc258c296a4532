// POST /containers/create: merge with the image config, validate, name, record. The rootfs snapshot
// is prepared now (docker's RWLayer); the task (shim + init) only when the container is attached to
// or started, because the shim holds the container's stdio from its creation on.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError, isCode } from '../../base/index.js';
import { adaptHostConfig, mergeImageConfig, validateHostConfig, type ContainerConfig, type HostConfig } from '../spec/index.js';
import { attributesOf, containerDir, findContainer, nowIso, type EngineContext } from './context.js';
import { VALID_NAME, generateName } from './names.js';
import { createVolumes } from './container-volumes.js';
import { initialEndpoints, type EndpointConfig } from './container-network.js';
import { ZERO_TIME, type ContainerRecord, type MountPoint } from './types.js';

export interface CreateRequest {
  name?: string;
  config: ContainerConfig & { Image?: string };
  hostConfig?: HostConfig;
  /** docker's NetworkingConfig: per network, aliases, static addresses, links. */
  networkingConfig?: { EndpointsConfig?: Record<string, EndpointConfig> | null } | null;
}

export interface CreateResult {
  Id: string;
  Warnings: string[];
}

function pickName(ctx: EngineContext, requested: string | undefined): string {
  if (requested !== undefined && requested !== '') {
    if (!VALID_NAME.test(requested)) {
      throw new SkiffError('InvalidArgument', `Invalid container name (${requested}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { field: 'name' });
    }
    const name = requested.replace(/^\//, '');
    const taken = ctx.repo.byName(name);
    if (taken !== undefined) {
      throw new SkiffError('Conflict', `Conflict. The container name "/${name}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    return name;
  }
  for (let i = 0; ; i++) {
    const name = generateName(i);
    if (ctx.repo.byName(name) === undefined) return name;
  }
}

export async function createContainer(ctx: EngineContext, req: CreateRequest): Promise<CreateResult> {
  if (req.name !== undefined && req.name !== '' && !VALID_NAME.test(req.name)) {
    throw new SkiffError('InvalidArgument', `Invalid container name (${req.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { field: 'name' });
  }
  const imageName = req.config.Image ?? '';
  if (imageName === '') throw new SkiffError('InvalidArgument', 'no command specified', { field: 'Image' });
  const image = await ctx.images.forContainer(imageName);
  // docker stores the adapted HostConfig (MemorySwap 2× Memory, ShmSize, IpcMode…): inspect shows it
  const hostConfig: HostConfig = adaptHostConfig(req.hostConfig ?? {}, { cgroupV2: existsSync('/sys/fs/cgroup/cgroup.controllers') });
  const config = mergeImageConfig(req.config, image.config);
  const entrypoint = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) throw new SkiffError('InvalidArgument', 'no command specified', { field: 'Cmd' });
  const warnings = validateHostConfig(hostConfig, config);
  const name = pickName(ctx, req.name);
  const networks = initialEndpoints(ctx, hostConfig.NetworkMode, req.networkingConfig?.EndpointsConfig ?? undefined);

  const id = randomBytes(32).toString('hex');
  const dir = containerDir(ctx, id);
  await mkdir(dir, { recursive: true, mode: 0o710 });
  let prepared = false;
  let mountPoints: MountPoint[] = [];
  try {
    await ctx.images.prepareRootfs(id, image);
    prepared = true;
    mountPoints = await createVolumes(ctx.volumes, config, hostConfig, (ref) => findContainer(ctx, ref).record.MountPoints ?? []);
    const record: ContainerRecord = {
      Id: id,
      Name: `/${name}`,
      Created: nowIso(),
      ImageName: imageName,
      Image: image.id,
      Path: argv[0]!,
      Args: argv.slice(1),
      Config: { ...config, Image: imageName, Hostname: config.Hostname || id.slice(0, 12) },
      HostConfig: hostConfig,
      State: {
        Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
      },
      RestartCount: 0,
      ResolvConfPath: join(dir, 'resolv.conf'),
      HostnamePath: join(dir, 'hostname'),
      HostsPath: join(dir, 'hosts'),
      LogPath: join(dir, `${id}-json.log`),
      ExecIDs: [],
      MountPoints: mountPoints,
      Networks: networks,
    };
    ctx.repo.insert({ id, name, imageId: image.id, createdMs: Date.now(), record });
    ctx.emit({ action: 'create', id, attributes: attributesOf(record) });
    return { Id: id, Warnings: warnings };
  } catch (err) {
    if (prepared) await ctx.images.snapshotter.remove(id).catch(() => {});
    for (const p of mountPoints) if (p.Name !== undefined && ctx.volumes.isAnonymous(p.Name)) await ctx.volumes.remove(p.Name, true).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    if (isCode(err, 'Conflict') && /name .* is already in use/.test((err as Error).message)) {
      throw new SkiffError('Conflict', `Conflict. The container name "/${name}" is already in use. You have to remove (or rename) that container to be able to reuse that name.`);
    }
    throw err;
  }
}
