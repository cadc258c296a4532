// bench/engine: the engine against docker and podman, alternating tool by tool in each round.
//   1. `run --rm --network none <busybox> true`: skiffd through bin/skiff and through the docker CLI,
//      dockerd (docker CLI), podman, and crun run of an equivalent bundle (the floor);
//   2. idle memory per container: system-wide Pss growth (all processes, shims included) with 20
//      detached `sleep` containers, skiffd vs dockerd vs podman;
//   3. `ps -a` with 100 and 1000 created containers, skiffd vs dockerd (same docker CLI).
// Everything runs on private state under one temp dir. Writes its block of docs/benchmarks.md.
//
// podman refuses this hybrid-cgroup host: it runs in `unshare -m` with /sys/fs/cgroup/unified
// unmounted and the ulimits the host allows (CONTAINERS_CONF), and with --runtime crun.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/helpers/repo.js';
import { median, sh, stopChild, timed, unmountBelow } from './common.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const IDLE = Number(process.env.BENCH_IDLE ?? 20);
const IDLE_SAMPLES = Number(process.env.BENCH_IDLE_SAMPLES ?? 3);
const PS_COUNTS = (process.env.BENCH_PS ?? '100,1000').split(',').map(Number).sort((a, b) => a - b);
const repo = repoRoot();

/** Sum of Pss over every process (kB): what the whole system holds; and over `daemons` alone. */
function totalPssKb(daemons: readonly number[] = []): { all: number; daemons: number } {
  let all = 0;
  let inDaemons = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m === null) continue;
      all += Number(m[1]);
      if (daemons.includes(Number(pid))) inDaemons += Number(m[1]);
    } catch {
      // gone
    }
  }
  return { all, daemons: inDaemons };
}

/** A process and its children (dockerd's containerd). */
function withChildren(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const kids = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout.split('\n').map((x) => Number(x.trim())).filter((x) => x > 0);
  return [pid, ...kids.filter((k) => !/shim|conmon/.test(readFileSync(`/proc/${k}/cmdline`, 'latin1')))];
}

async function waitFor(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up`);
}

interface Engine {
  name: string;
  run(): number;
  startIdle(n: number): void;
  removeAll(): void;
  createMany?(n: number): void;
  psAll?(): number;
  /** The long-lived daemon processes whose memory grows with containers (none for podman). */
  daemonPids?(): number[];
  close(): Promise<void>;
}

function dockerLike(name: string, cli: string[], env: NodeJS.ProcessEnv, image: string, extra: string[] = []): Omit<Engine, 'close'> {
  const c = (args: string[]): string[] => [...cli.slice(1), ...args];
  return {
    name,
    run: () => timed(cli[0]!, c(['run', '--rm', '--network', 'none', ...extra, image, 'true']), env),
    startIdle: (n) => { for (let i = 0; i < n; i++) sh(cli[0]!, c(['run', '-d', '--network', 'none', ...extra, image, 'sleep', '3600']), env); },
    removeAll: () => {
      const ids = sh(cli[0]!, c(['ps', '-aq']), env).trim().split('\n').filter((x) => x !== '');
      for (let i = 0; i < ids.length; i += 50) sh(cli[0]!, c(['rm', '-f', ...ids.slice(i, i + 50)]), env);
    },
    createMany: (n) => { for (let i = 0; i < n; i++) sh(cli[0]!, c(['create', '--network', 'none', image, 'true']), env); },
    psAll: () => timed(cli[0]!, c(['ps', '-a']), env),
  };
}

async function main(): Promise<void> {
  const work = mkdtempSync('/tmp/sb'); // short: skiffd's exec root (shim sockets) lives under it
  const out: string[] = [];
  const say = (s: string): void => { console.log(s); out.push(s); };
  const engines: Engine[] = [];
  const children: ChildProcess[] = [];
  try {
    // A busybox rootfs tar (image for the engines) and an OCI bundle (for crun).
    const rootfs = join(work, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
    for (const a of ['sh', 'true', 'sleep']) symlinkSync('busybox', join(rootfs, 'bin', a));
    sh('tar', ['-C', rootfs, '-cf', join(work, 'rootfs.tar'), '.']);
    const bundle = join(work, 'bundle');
    mkdirSync(bundle);
    sh('cp', ['-a', rootfs, join(bundle, 'rootfs')]);
    sh('crun', ['spec', '-b', bundle]);
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; terminal: boolean } };
    spec.process.args = ['true'];
    spec.process.terminal = false;
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));

    // skiffd
    const sk = join(work, 'sk');
    mkdirSync(sk);
    writeFileSync(join(sk, 'daemon.json'), '{"cgroup-parent":"skiff-bench"}');
    const skSock = join(sk, 's.sock');
    const skiffd = spawn(join(repo, 'bin', 'skiffd'), ['-H', `unix://${skSock}`, '--data-root', join(sk, 'data'), '--exec-root', join(work, 'x'), '--config-file', join(sk, 'daemon.json'), '--log-level', 'warn'], { stdio: 'ignore' });
    children.push(skiffd);
    const skEnv = { ...process.env, DOCKER_HOST: `unix://${skSock}`, DOCKER_CONFIG: join(sk, 'cli') };
    await waitFor(() => spawnSync('docker', ['version'], { env: skEnv, stdio: 'ignore' }).status === 0, 'skiffd');
    sh('docker', ['import', '-c', 'ENV PATH=/bin', join(work, 'rootfs.tar'), 'bb:1'], skEnv);
    const skiffCli = dockerLike('skiffd (bin/skiff)', [join(repo, 'bin', 'skiff')], skEnv, 'bb:1');
    const skiffDocker = dockerLike('skiffd (docker CLI)', ['docker'], skEnv, 'bb:1');
    engines.push({ ...skiffDocker, daemonPids: () => (skiffd.pid === undefined ? [] : [skiffd.pid]), close: async () => { await stopChild(skiffd); unmountBelow(sk); } });

    // dockerd
    const dk = join(work, 'dk');
    mkdirSync(dk);
    const dkSock = join(dk, 'd.sock');
    const dockerd = spawn('dockerd', ['--host', `unix://${dkSock}`, '--data-root', join(dk, 'data'), '--exec-root', join(dk, 'exec'), '--pidfile', join(dk, 'pid'),
      '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false'], { stdio: 'ignore' });
    children.push(dockerd);
    const dkEnv = { ...process.env, DOCKER_HOST: `unix://${dkSock}`, DOCKER_CONFIG: join(dk, 'cli') };
    await waitFor(() => spawnSync('docker', ['version'], { env: dkEnv, stdio: 'ignore' }).status === 0, 'dockerd');
    sh('docker', ['import', '-c', 'ENV PATH=/bin', join(work, 'rootfs.tar'), 'bb:1'], dkEnv);
    const version = sh('docker', ['version', '--format', '{{.Server.Version}}'], dkEnv).trim();
    engines.push({ ...dockerLike(`dockerd ${version}`, ['docker'], dkEnv, 'bb:1'), daemonPids: () => withChildren(dockerd.pid), close: async () => { await stopChild(dockerd); unmountBelow(dk); } });

    // podman (crun as its runtime)
    const pd = join(work, 'pd');
    mkdirSync(pd);
    const conf = join(pd, 'containers.conf');
    writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
    const pdEnv = { ...process.env, CONTAINERS_CONF: conf };
    const podmanArgs = ['-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh', 'podman', '--root', join(pd, 'root'), '--runroot', join(pd, 'run'), '--tmpdir', join(pd, 'tmp'), '--storage-driver', 'overlay', '--runtime', 'crun'];
    sh('unshare', [...podmanArgs, 'import', '--change', 'ENV PATH=/bin', join(work, 'rootfs.tar'), 'bb:1'], pdEnv);
    const podman = dockerLike('podman 4.3 (crun)', ['unshare', ...podmanArgs], pdEnv, 'localhost/bb:1');
    engines.push({ ...podman, close: async () => { spawnSync('unshare', [...podmanArgs, 'system', 'reset', '--force'], { env: pdEnv, stdio: 'ignore' }); unmountBelow(pd); } });

    // 1. run --rm
    const crunRoot = join(work, 'crun-root');
    // crun refuses this hybrid host too: the same unshare -m as podman's (a few ms of it in the floor)
    const crunRun = (): number => timed('unshare', ['-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh',
      'crun', '--root', crunRoot, 'run', '-b', bundle, `bench-${process.pid}`]);
    const times = new Map<string, number[]>([[skiffCli.name, []], ...engines.map((e) => [e.name, []] as [string, number[]]), ['crun run (bundle)', []]]);
    for (let r = 0; r < ROUNDS; r++) {
      times.get(skiffCli.name)!.push(skiffCli.run());
      for (const e of engines) times.get(e.name)!.push(e.run());
      times.get('crun run (bundle)')!.push(crunRun());
    }
    const podmanMs = median(times.get(podman.name)!);
    const crunMs = median(times.get('crun run (bundle)')!);
    say(`## bench/engine (${new Date().toISOString().slice(0, 10)}, ${ROUNDS} alternating rounds)`);
    say('');
    say('`run --rm --network none busybox true`, wall time (median):');
    say('');
    say('| engine | run --rm | vs podman | vs crun |');
    say('|---|---|---|---|');
    for (const [name, xs] of times) say(`| ${name} | ${median(xs).toFixed(0)} ms | ${(median(xs) / podmanMs).toFixed(2)} | ${(median(xs) / crunMs).toFixed(2)} |`);

    // 2. idle memory per container. A daemon's heap moves by megabytes with its garbage collector,
    // more than 20 containers add: three samples, the median, and the daemon's own share apart.
    say('');
    say(`Idle memory per container (${IDLE} detached \`sleep\`, system-wide Pss growth incl. shims and monitors, median of ${IDLE_SAMPLES}):`);
    say('');
    say('| engine | per container | in the daemon | outside it | vs podman |');
    say('|---|---|---|---|---|');
    const perContainer = new Map<string, { all: number; daemons: number }>();
    for (const e of engines) {
      const samples: { all: number; daemons: number }[] = [];
      for (let k = 0; k < IDLE_SAMPLES; k++) {
        e.removeAll();
        await new Promise((r) => setTimeout(r, 1000));
        const pids = e.daemonPids?.() ?? [];
        const before = totalPssKb(pids);
        e.startIdle(IDLE);
        await new Promise((r) => setTimeout(r, 2000));
        const after = totalPssKb(pids);
        samples.push({ all: (after.all - before.all) / IDLE, daemons: (after.daemons - before.daemons) / IDLE });
        e.removeAll();
      }
      samples.sort((a, b) => a.all - b.all);
      perContainer.set(e.name, samples[Math.floor(samples.length / 2)]!);
    }
    const podmanKb = perContainer.get(podman.name)!.all;
    for (const [name, kb] of perContainer) {
      say(`| ${name} | ${kb.all.toFixed(0)} kB | ${kb.daemons.toFixed(0)} kB | ${(kb.all - kb.daemons).toFixed(0)} kB | ${(kb.all / podmanKb).toFixed(2)} |`);
    }

    // 3. ps -a with each count of containers (same docker CLI for both daemons), created incrementally
    say('');
    say('`docker ps -a` with created containers (median of 5):');
    say('');
    say('| containers | skiffd (docker CLI) | dockerd | vs dockerd |');
    say('|---|---|---|---|');
    const ps = new Map<number, number[]>();
    for (const e of engines.slice(0, 2)) {
      let made = 0;
      for (const n of PS_COUNTS) {
        e.createMany!(n - made);
        made = n;
        ps.set(n, [...(ps.get(n) ?? []), median(Array.from({ length: 5 }, () => e.psAll!()))]);
      }
      e.removeAll();
    }
    for (const [n, [skiff, docker]] of ps) say(`| ${n} | ${skiff!.toFixed(0)} ms | ${docker!.toFixed(0)} ms | ${(skiff! / docker!).toFixed(2)} |`);
  } finally {
    for (const e of engines) {
      try { e.removeAll(); } catch { /* best effort */ }
    }
    for (const e of engines) await e.close().catch(() => undefined);
    for (const c of children) await stopChild(c);
    unmountBelow(work);
    rmSync(work, { recursive: true, force: true });
    for (const c of readdirSync('/sys/fs/cgroup')) spawnSync('rmdir', [join('/sys/fs/cgroup', c, 'skiff-bench')], { stdio: 'ignore' });
  }
  const doc = join(repo, 'docs', 'benchmarks.md');
  const previous = readFileSync(doc, 'utf8');
  const start = previous.indexOf('## bench/engine');
  const next = start >= 0 ? previous.slice(start + 1).search(/^## /m) : -1;
  const before = start >= 0 ? previous.slice(0, start) : `${previous.trimEnd()}\n\n`;
  const after = next >= 0 ? previous.slice(start + 1 + next) : '';
  // the hand-written analysis (### sections) of the old block stays
  const oldBlock = start >= 0 ? previous.slice(start, next >= 0 ? start + 1 + next : undefined) : '';
  const analysis = oldBlock.indexOf('\n### ') >= 0 ? oldBlock.slice(oldBlock.indexOf('\n### ')) : '';
  writeFileSync(doc, `${before}${out.join('\n')}\n${analysis}\n\n${after}`.replace(/\n{3,}/g, '\n\n'));
}

await main();
