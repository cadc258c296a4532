// bench/pull: pull throughput of skiffd against podman and dockerd (all three download AND unpack
// into their overlay stores) and skopeo (download only, into a `dir:` copy), alternating tool by tool
// in each round so drift hits all alike. The image (~200 MB compressed, 8 layers of incompressible
// and compressible files) is generated once, cached, pushed by skopeo to Debian's docker-registry on
// 127.0.0.1. Every tool runs on private state under one temp dir; between rounds each one removes
// the image again so every pull is a cold pull. Prints MB/s (compressed bytes / wall time) and the
// ratios (median of per-round ratios), and writes them to docs/benchmarks.md.
//
// podman refuses this hybrid-cgroup host, so it runs in `unshare -m` with /sys/fs/cgroup/unified
// unmounted and the ulimits the host allows (CONTAINERS_CONF).

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { repoRoot } from '../test/helpers/repo.js';
import { median, sh, stopChild, timed, unmountBelow } from './common.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LAYERS = Number(process.env.BENCH_LAYERS ?? 8);
const LAYER_MB = Number(process.env.BENCH_LAYER_MB ?? 25);
const repo = repoRoot();
const CACHE = '/tmp/skiff-bench-cache';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const sha256File = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Writes one gzip'd layer: `mb` MB of random bytes in 1 MB files plus as much again in small text files. */
async function writeLayer(path: string, index: number, mb: number): Promise<{ diffId: string }> {
  const pack = tar.pack();
  const diff = createHash('sha256');
  const out = pipeline(pack.on('data', (c: unknown) => { diff.update(c as Buffer); }), createGzip({ level: 6 }), createWriteStream(path));
  pack.entry({ name: `layer${index}/`, type: 'directory', mode: 0o755 });
  for (let i = 0; i < mb; i++) pack.entry({ name: `layer${index}/blob${i}.bin`, mode: 0o644 }, randomBytes(1 << 20));
  const line = `layer ${index} line of compressible text for the benchmark image\n`;
  for (let i = 0; i < 200; i++) pack.entry({ name: `layer${index}/text/${i}.txt`, mode: 0o644 }, line.repeat(Math.ceil((64 << 10) / line.length)));
  pack.finalize();
  await out;
  return { diffId: `sha256:${diff.digest('hex')}` };
}

/** The OCI layout of the benchmark image, generated once per parameters and cached. */
async function benchImage(): Promise<{ layout: string; bytes: number }> {
  const layout = join(CACHE, `pull-image-${LAYERS}x${LAYER_MB}`);
  if (!existsSync(join(layout, 'index.json'))) {
    const tmp = `${layout}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const blobs = join(tmp, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    const layers: { digest: string; size: number; diffId: string }[] = [];
    for (let i = 0; i < LAYERS; i++) {
      const file = join(tmp, `layer${i}.tar.gz`);
      const { diffId } = await writeLayer(file, i, LAYER_MB);
      const hex = sha256File(file);
      renameSync(file, join(blobs, hex));
      layers.push({ digest: `sha256:${hex}`, size: statSync(join(blobs, hex)).size, diffId });
    }
    const putJson = (value: unknown): { digest: string; size: number } => {
      const bytes = Buffer.from(JSON.stringify(value));
      const hex = createHash('sha256').update(bytes).digest('hex');
      writeFileSync(join(blobs, hex), bytes);
      return { digest: `sha256:${hex}`, size: bytes.length };
    };
    const config = putJson({
      architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `layer ${i}` })),
    });
    const manifest = putJson({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    });
    writeFileSync(join(tmp, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(tmp, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }],
    }));
    rmSync(layout, { recursive: true, force: true });
    renameSync(tmp, layout);
  }
  const blobs = join(layout, 'blobs', 'sha256');
  const bytes = readdirSync(blobs).reduce((sum, f) => sum + statSync(join(blobs, f)).size, 0);
  return { layout, bytes };
}

interface Tool {
  name: string;
  /** One cold pull; returns its wall time in ms. */
  pull(): number;
  /** Removes what the pull stored so the next one is cold again. */
  reset(): void;
  close(): Promise<void>;
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await ok()) return;
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up`);
}

async function startRegistry(dir: string): Promise<{ host: string; child: ChildProcess }> {
  const port = await freePort();
  const config = join(dir, 'registry.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'registry')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  const listening = (): Promise<boolean> =>
    new Promise((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  await waitFor('docker-registry', listening, child);
  return { host: `127.0.0.1:${port}`, child };
}

function skopeoTool(dir: string, ref: string): Tool {
  const dest = join(dir, 'skopeo-copy');
  return {
    name: 'skopeo (copy, no unpack)',
    pull: () => timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `dir:${dest}`]),
    reset: () => rmSync(dest, { recursive: true, force: true }),
    close: () => Promise.resolve(),
  };
}

function podmanTool(dir: string, ref: string): Tool {
  const conf = join(dir, 'containers.conf');
  writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const base = ['--root', join(dir, 'podman-root'), '--runroot', join(dir, 'podman-run'), '--tmpdir', join(dir, 'podman-tmp'), '--storage-driver', 'overlay'];
  const podman = (args: string[]): string[] => ['-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh', 'podman', ...base, ...args];
  return {
    name: 'podman 4.3',
    pull: () => timed('unshare', podman(['pull', '--quiet', '--tls-verify=false', ref]), env),
    reset: () => void sh('unshare', podman(['rmi', '--all', '--force']), env),
    close: () => {
      spawnSync('unshare', podman(['system', 'reset', '--force']), { env, stdio: 'ignore' });
      return Promise.resolve();
    },
  };
}

async function dockerTool(dir: string, ref: string): Promise<Tool> {
  const d = join(dir, 'dockerd');
  mkdirSync(d, { recursive: true });
  const sock = join(d, 'docker.sock');
  const child = spawn('dockerd', ['--host', `unix://${sock}`, '--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'),
    '--pidfile', join(d, 'pid'), '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false'], { stdio: 'ignore' });
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(d, 'cli') };
  await waitFor('dockerd', () => spawnSync('docker', ['version'], { env, stdio: 'ignore' }).status === 0, child);
  const version = sh('docker', ['version', '--format', '{{.Server.Version}}'], env).trim();
  return {
    name: `dockerd ${version}`,
    pull: () => timed('docker', ['pull', '--quiet', ref], env),
    reset: () => void sh('docker', ['rmi', '--force', ref], env),
    close: async () => {
      await stopChild(child);
      unmountBelow(d);
    },
  };
}

async function skiffTool(dir: string, ref: string): Promise<Tool | undefined> {
  const skiffd = join(repo, 'bin', 'skiffd');
  if (!existsSync(skiffd)) return undefined;
  const d = join(dir, 'skiffd');
  mkdirSync(d, { recursive: true });
  const sock = join(d, 'skiff.sock');
  writeFileSync(join(d, 'daemon.json'), '{}');
  const child = spawn(skiffd, ['--host', `unix://${sock}`, '--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'),
    '--config-file', join(d, 'daemon.json'), '--log-level', 'warn'], { stdio: 'ignore' });
  // The same client as for dockerd (the docker CLI), so the comparison is daemon against daemon.
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(d, 'cli') };
  await waitFor('skiffd', () => spawnSync('docker', ['version'], { env, stdio: 'ignore' }).status === 0, child);
  return {
    name: 'skiffd',
    pull: () => timed('docker', ['pull', '--quiet', ref], env),
    reset: () => {
      sh('docker', ['rmi', '--force', ref], env);
    },
    close: async () => {
      await stopChild(child);
      unmountBelow(d);
    },
  };
}

async function main(): Promise<void> {
  const work = mkdtempSync('/tmp/skbp-');
  // skopeo (as root) keeps a blob-info cache in /var/lib/containers: remove it if we created it
  const containersDirExisted = existsSync('/var/lib/containers');
  const tools: Tool[] = [];
  let registry: ChildProcess | undefined;
  const out: string[] = [];
  const say = (s: string): void => {
    console.log(s);
    out.push(s);
  };
  try {
    const image = await benchImage();
    const reg = await startRegistry(work);
    registry = reg.child;
    const ref = `${reg.host}/bench/pull:1`;
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${image.layout}:bench`, `docker://${ref}`]);
    const skiff = await skiffTool(work, ref);
    if (skiff !== undefined) tools.push(skiff);
    tools.push(podmanTool(work, ref), await dockerTool(work, ref), skopeoTool(work, ref));
    const ms = new Map<string, number[]>(tools.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const tool of tools) {
        ms.get(tool.name)!.push(tool.pull());
        tool.reset();
      }
    }
    const mb = image.bytes / 1e6;
    const base = tools.find((t) => t.name.startsWith('podman'))!;
    say(`## bench/pull (${new Date().toISOString().slice(0, 10)}, ${ROUNDS} alternating rounds, ${LAYERS} layers, ${mb.toFixed(0)} MB compressed)`);
    say('');
    say('| tool | median pull | MB/s | throughput vs podman |');
    say('|---|---|---|---|');
    for (const tool of tools) {
      const times = ms.get(tool.name)!;
      const ratios = times.map((t, i) => ms.get(base.name)![i]! / t);
      say(`| ${tool.name} | ${(median(times) / 1000).toFixed(2)} s | ${(mb / (median(times) / 1000)).toFixed(1)} | ${median(ratios).toFixed(2)} |`);
    }
    if (skiff === undefined) say('\nskiffd was not built (bin/skiffd missing): only the peers were measured.');
  } finally {
    for (const tool of tools) await tool.close().catch((err: unknown) => console.error(`${tool.name}: ${String(err)}`));
    if (registry !== undefined) await stopChild(registry);
    unmountBelow(work);
    rmSync(work, { recursive: true, force: true });
    if (!containersDirExisted) rmSync('/var/lib/containers', { recursive: true, force: true });
  }
  const doc = join(repo, 'docs', 'benchmarks.md');
  const previous = readFileSync(doc, 'utf8');
  const start = previous.indexOf('## bench/pull');
  const next = start >= 0 ? previous.slice(start + 1).search(/^##+ /m) : -1;
  const before = start >= 0 ? previous.slice(0, start) : `${previous.trimEnd()}\n\n`;
  const after = next >= 0 ? previous.slice(start + 1 + next) : '';
  writeFileSync(doc, `${before}${out.join('\n')}\n\n${after}`.replace(/\n{3,}/g, '\n\n'));
}

await main();
