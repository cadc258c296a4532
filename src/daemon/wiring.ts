// The composition root: builds every layer from the config, in order, and registers each one's
// shutdown in a DisposableStore so SIGTERM (or a failed start) undoes them in reverse.

import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, hostname, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DisposableStore, SkiffError, type Logger } from '../base/index.js';
import { createDockerApi, type SystemFacts } from '../api/index.js';
import { openImageService } from '../image/index.js';
import { ContainerService } from '../engine/index.js';
import { SkiffRuntime, cgroups, sealedShimImage } from '../runtime/index.js';
import { openDatabase } from '../store/index.js';
import { VolumeService } from '../volume/index.js';
import { NetworkService } from '../network/index.js';
import { writeFileAtomicSync, lockFile } from '../sys/index.js';
import { socketPathOf, type DaemonConfig } from './config.js';

export const SKIFF_VERSION = '0.1.0';

function osRelease(): { pretty: string; version: string } {
  let text = '';
  try {
    text = readFileSync('/etc/os-release', 'utf8');
  } catch {
    return { pretty: 'Linux', version: '' };
  }
  const get = (k: string): string => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
  return { pretty: get('PRETTY_NAME'), version: get('VERSION_ID') };
}

function engineId(dataRoot: string): string {
  const path = join(dataRoot, 'engine-id');
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (id !== '') return id;
  } catch {
    // first start
  }
  const id = randomUUID();
  writeFileAtomicSync(path, `${id}\n`, 0o600);
  return id;
}

/** Refuses a socket another live daemon answers on; removes a stale one. */
async function claimSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new SkiffError('AlreadyExists', `another daemon is listening on ${path}`);
  rmSync(path, { force: true });
}

export interface RunningDaemon {
  shutdown(): Promise<void>;
}

export async function startDaemon(config: DaemonConfig, log: Logger): Promise<RunningDaemon> {
  const disposables = new DisposableStore();
  try {
    mkdirSync(config.dataRoot, { recursive: true, mode: 0o711 });
    mkdirSync(config.execRoot, { recursive: true, mode: 0o700 });
    let lock;
    try {
      lock = lockFile(join(config.dataRoot, 'skiffd.lock'), `${process.pid}\n`);
    } catch (err) {
      let holder = '';
      try {
        holder = ` (pid ${readFileSync(join(config.dataRoot, 'skiffd.lock'), 'utf8').trim()})`;
      } catch {
        // unreadable: say nothing about the holder
      }
      throw new SkiffError('AlreadyExists', `another skiffd is running with data root ${config.dataRoot}${holder}`, { cause: err });
    }
    disposables.add(() => lock.release());
    writeFileAtomicSync(join(config.execRoot, 'skiffd.pid'), `${process.pid}\n`, 0o644);
    disposables.add(() => rmSync(join(config.execRoot, 'skiffd.pid'), { force: true }));

    let engine: ContainerService | undefined;
    const sharedDb = openDatabase(join(config.dataRoot, 'skiff.db'));
    disposables.add(() => { sharedDb.close(); });
    const images = await openImageService({
      root: config.dataRoot,
      db: sharedDb,
      useChecker: (id) => engine?.imageUse(id) ?? { containers: 0 },
      snapshotter: config.storageDriver,
      logger: log.child({ layer: 'image' }),
      insecureRegistries: config.insecureRegistries,
      certsDir: config.certsDir,
      maxConcurrentDownloads: config.maxConcurrentDownloads,
      maxConcurrentUploads: config.maxConcurrentUploads,
    });
    disposables.add(() => images.close());

    // The runtime's state dir holds the shims' sockets: `<root>/<64-hex id>/exec-<12-hex>.sock` must
    // stay under the 108 bytes of a unix socket path.
    const runtimeRoot = join(config.execRoot, 'r');
    if (runtimeRoot.length > 19) {
      throw new SkiffError('InvalidArgument', `--exec-root ${config.execRoot} is too long: the shims' socket paths under it would exceed 108 bytes (at most 17 characters)`, { field: 'exec-root' });
    }
    const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const shimBinary = process.env.SKIFF_SHIM ?? join(repo, 'native', 'build', 'skiff-shim');
    const shimImage = sealedShimImage(shimBinary);
    disposables.add(() => shimImage.close());
    const runtime = new SkiffRuntime({ root: runtimeRoot, shimPath: shimImage.path, cgroupParent: config.cgroupParent, logger: log.child({ layer: 'runtime' }) });
    const volumes = new VolumeService({ db: sharedDb, root: join(config.dataRoot, 'volumes'), usedBy: (name) => engine?.volumeUsers(name) ?? [] });
    const networks = new NetworkService({
      db: sharedDb,
      root: join(config.dataRoot, 'network'),
      netnsDir: join(config.execRoot, 'netns'),
      bridge: config.bridge,
      ...(config.bridgeSubnet === undefined ? {} : { subnet: config.bridgeSubnet }),
      logger: log.child({ layer: 'network' }),
    });
    await networks.init();
    const containers = new ContainerService({
      db: sharedDb,
      volumes,
      networks,
      images,
      runtime,
      paths: { containers: join(config.dataRoot, 'containers'), initBinary: shimBinary, cgroupParent: config.cgroupParent },
      logger: log.child({ layer: 'engine' }),
    });
    engine = containers;
    const reconciled = await containers.reconcile();
    if (reconciled.adopted.length + reconciled.exited.length > 0) log.info({ op: 'reconcile', ...reconciled }, 'containers reconciled');
    // after the containers: what is attached now is known; the rest of the network state is orphaned
    await networks.reconcile(containers.liveEndpoints());
    disposables.add(() => networks.close());
    disposables.add(() => containers.close());

    const layout = await cgroups.detectCgroupLayout().catch(() => 'hybrid' as const);
    const os = osRelease();
    const facts: SystemFacts = {
      id: engineId(config.dataRoot),
      name: hostname(),
      serverVersion: SKIFF_VERSION,
      gitCommit: '',
      dataRoot: config.dataRoot,
      kernelVersion: release(),
      operatingSystem: os.pretty,
      osVersion: os.version,
      architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
      ncpu: cpus().length,
      memTotal: totalmem(),
      driver: config.storageDriver === 'overlay' ? 'overlayfs' : 'copy',
      cgroupDriver: 'cgroupfs',
      cgroupVersion: layout === 'unified' ? '2' : '1',
      loggingDriver: 'json-file',
      debug: config.debug,
      insecureRegistries: config.insecureRegistries,
      labels: config.labels,
      warnings: [],
      containers: () => containers.counts(),
    };
    const api = createDockerApi({ images, containers, volumes, facts, logger: log.child({ layer: 'api' }) });
    disposables.add(() => api.close());
    for (const host of config.hosts) {
      const path = socketPathOf(host);
      mkdirSync(join(path, '..'), { recursive: true, mode: 0o755 });
      await claimSocket(path);
      await api.listen(path);
      chmodSync(path, 0o660);
      disposables.add(() => rmSync(path, { force: true }));
      log.info({ host }, 'API listen on ' + path);
    }
    log.info({ dataRoot: config.dataRoot, execRoot: config.execRoot, driver: config.storageDriver, version: SKIFF_VERSION }, 'daemon has completed initialization');
    return { shutdown: () => disposables.dispose() };
  } catch (err) {
    await disposables.dispose().catch(() => {});
    throw err;
  }
}
