// /_ping, /version, /info, /events, /system/df.
import type { ServerResponse } from 'node:http';
import type { ImageService } from '../../../image/index.js';
import { eventMatches, type EventHub } from '../events.js';
import { filtersParam, sendJson, type Handler } from '../http.js';
import type { Route } from '../router.js';

export const API_VERSION = '1.50';
/** The newest version accepted in a `/vX.Y/` prefix (a docker CLI one release ahead still works). */
export const MAX_API_VERSION = '1.51';
export const MIN_API_VERSION = '1.24';

/** What the daemon knows about itself and the host, for /info and /version. */
export interface SystemFacts {
  id: string;
  name: string;
  serverVersion: string;
  gitCommit: string;
  dataRoot: string;
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  architecture: string;
  ncpu: number;
  memTotal: number;
  driver: string;
  cgroupDriver: string;
  cgroupVersion: string;
  loggingDriver: string;
  debug: boolean;
  insecureRegistries: string[];
  labels: string[];
  warnings: string[];
  /** Containers by state (engine/ fills it; 0 until containers exist). */
  containers(): { running: number; paused: number; stopped: number };
}

function nodeArchToGo(a: string): string {
  return ({ x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' } as Record<string, string>)[a] ?? a;
}

export interface DfSources {
  containersDf?: () => Promise<{ ImageID: string }[]>;
  volumesDf?: () => Promise<unknown[]>;
}

export function systemRoutes(facts: SystemFacts, images: ImageService, events: EventHub, extra: DfSources = {}): Route[] {
  const ping: Handler = async (req, res) => {
    const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' };
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': '0' });
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': '2' });
    res.end('OK');
  };

  const version: Handler = async (_req, res) => {
    const details = {
      ApiVersion: API_VERSION, Arch: nodeArchToGo(process.arch), BuildTime: '', Experimental: 'false',
      GitCommit: facts.gitCommit, GoVersion: `node${process.versions.node}`, KernelVersion: facts.kernelVersion,
      MinAPIVersion: MIN_API_VERSION, Os: 'linux',
    };
    sendJson(res, 200, {
      Platform: { Name: 'Skiff Engine' },
      Components: [{ Name: 'Engine', Version: facts.serverVersion, Details: details }],
      Version: facts.serverVersion,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: facts.gitCommit,
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: nodeArchToGo(process.arch),
      KernelVersion: facts.kernelVersion,
      BuildTime: '',
    });
  };

  const info: Handler = async (_req, res) => {
    const c = facts.containers();
    const imgs = await images.list();
    sendJson(res, 200, {
      ID: facts.id,
      Containers: c.running + c.paused + c.stopped,
      ContainersRunning: c.running,
      ContainersPaused: c.paused,
      ContainersStopped: c.stopped,
      Images: imgs.length,
      Driver: facts.driver,
      DriverStatus: [['Backing Filesystem', 'extfs']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      Debug: facts.debug,
      NFd: 0,
      OomKillDisable: facts.cgroupVersion === '1',
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: facts.loggingDriver,
      CgroupDriver: facts.cgroupDriver,
      CgroupVersion: facts.cgroupVersion,
      NEventsListener: events.listenerCount,
      KernelVersion: facts.kernelVersion,
      OperatingSystem: facts.operatingSystem,
      OSVersion: facts.osVersion,
      OSType: 'linux',
      Architecture: facts.architecture,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
        IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
        Mirrors: [],
      },
      NCPU: facts.ncpu,
      MemTotal: facts.memTotal,
      GenericResources: null,
      DockerRootDir: facts.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: facts.name,
      Labels: facts.labels,
      ExperimentalBuild: false,
      ServerVersion: facts.serverVersion,
      Runtimes: { skiff: { path: 'skiff-shim' } },
      DefaultRuntime: 'skiff',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'skiff-shim',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin'],
      CDISpecDirs: [],
      Containerd: null,
      Warnings: facts.warnings.length === 0 ? null : facts.warnings,
    });
  };

  const eventsRoute: Handler = async (req, res) => {
    const filters = filtersParam(req.query);
    const toNano = (v: string | null): number | undefined => {
      if (v === null || v === '') return undefined;
      if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1e9);
      const t = Date.parse(v);
      return Number.isFinite(t) ? t * 1e6 : undefined;
    };
    const since = toNano(req.query.get('since'));
    const until = toNano(req.query.get('until'));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const send = (res2: ServerResponse, e: Parameters<Parameters<EventHub['subscribe']>[0]>[0]): void => {
      if (until !== undefined && e.timeNano > until) return;
      if (eventMatches(e, filters)) res2.write(`${JSON.stringify(e)}\n`);
    };
    if (since !== undefined) for (const e of events.since(since)) send(res, e);
    if (until !== undefined && until <= Date.now() * 1e6) {
      res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const off = events.subscribe((e) => send(res, e));
      const timer = until === undefined ? undefined : setTimeout(() => { off(); res.end(); resolve(); }, until / 1e6 - Date.now());
      req.signal.addEventListener('abort', () => { off(); if (timer !== undefined) clearTimeout(timer); resolve(); }, { once: true });
    });
  };

  const df: Handler = async (_req, res) => {
    const d = await images.systemDf();
    const containers = await (extra.containersDf?.() ?? Promise.resolve([]));
    const volumes = await (extra.volumesDf?.() ?? Promise.resolve([]));
    // docker counts the containers using each image
    for (const img of d.Images) img.Containers = containers.filter((c) => c.ImageID === img.Id).length;
    sendJson(res, 200, { LayersSize: d.LayersSize, Images: d.Images, Containers: containers, Volumes: volumes, BuildCache: [] });
  };
  // no builder yet, so no build cache: `docker system prune` asks for it and must get an answer
  const buildPrune: Handler = async (_req, res) => { sendJson(res, 200, { CachesDeleted: null, SpaceReclaimed: 0 }); };

  return [
    { method: 'GET', path: /^\/_ping$/, handler: ping },
    { method: 'HEAD', path: /^\/_ping$/, handler: ping },
    { method: 'GET', path: /^\/version$/, handler: version },
    { method: 'GET', path: /^\/info$/, handler: info },
    { method: 'GET', path: /^\/events$/, handler: eventsRoute },
    { method: 'GET', path: /^\/system\/df$/, handler: df },
    { method: 'POST', path: /^\/build\/prune$/, handler: buildPrune },
  ];
}
