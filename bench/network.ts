// bench/network: containers on the default bridge network, skiffd against dockerd (and podman for
// `run --rm`), alternating engine by engine in each round so drift hits all alike:
//   1. `run --rm busybox true` on the default bridge: skiffd through the docker CLI and through
//      bin/skiff, dockerd, podman; the same with `--network none` as the reference without network;
//   2. `run -d -p 127.0.0.1:<port>:80 … httpd` until the first HTTP answer from the host (probes
//      from Node every 2 ms once the CLI has returned: see httpFirstAnswer);
//   3. TCP throughput container → container on the default bridge (iperf3 in both containers);
//   4. TCP throughput host → 127.0.0.1:<published port> (Node socket writes, `nc -ll -e dd` in the
//      container reads them into /dev/null and answers "done");
//   5. where skiffd's network time goes: its debug log (attach / wait request times, bridge against
//      none), a perf sched trace of its CNI plugins and their iptables children (when perf is
//      installed), and the CNI plugins replayed alone on a namespace of this bench.
//
// The bench re-runs itself in a network namespace of its own (`unshare -n`, loopback up): the
// daemons, their bridges, veths, iptables rules and 127.0.0.1 all live there and go with it, so the
// host's iptables, routes and sysctls are never touched, and other daemons or tests at work on the
// host (whose own snapshot/restore of iptables would delete dockerd's chains under it) cannot
// disturb the run. BENCH_NETNS=host runs in the host's namespace instead. In either: everything runs
// on private state under one temp dir; each engine gets its own bridge and a /24 that no route or
// address overlaps, created here and deleted again; traffic goes only between those namespaces and
// 127.0.0.1; dockerd (with its default iptables and userland proxy) and the CNI plugins add chains
// and rules, and at the end every rule and chain added since the start that names one of this
// bench's bridges, subnets or docker's chains is removed again (other rules are left alone),
// policies and the sysctls touched are put back. podman runs in `unshare -m` with
// /sys/fs/cgroup/unified unmounted (this hybrid host), the host's ulimits and its own CNI config
// dir; its storage is reset at the end.
//
//   node dist/bench/network.js [--quick]     (--quick: few rounds, short transfers, no docs update)

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { pidsMentioning } from '../test/helpers/private-dockerd.js';
import { repoRoot } from '../test/helpers/repo.js';
import { freePort, median, sh, stopChild, timed, unmountBelow } from './common.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 20));
const XFER_ROUNDS = Number(process.env.BENCH_XFER_ROUNDS ?? (QUICK ? 2 : 10));
const IPERF_SECONDS = Number(process.env.BENCH_IPERF_SECONDS ?? (QUICK ? 1 : 3));
const PUSH_MIB = Number(process.env.BENCH_PUSH_MIB ?? (QUICK ? 64 : 256));
const TRACE_RUNS = Number(process.env.BENCH_TRACE_RUNS ?? (QUICK ? 3 : 10));
const repo = repoRoot();
const DOC_HEADING = '## Network: bench/network';

// ---------------------------------------------------------------------------------------------
// Cleanup: every undo is registered before its resource is made, and all run newest first,
// whatever happened (also on SIGINT/SIGTERM).

const undos: { label: string; fn: () => void | Promise<void> }[] = [];
let undoing: Promise<void> | undefined;
const onUndo = (label: string, fn: () => void | Promise<void>): void => void undos.push({ label, fn });
function runUndos(): Promise<void> {
  undoing ??= (async () => {
    for (const { label, fn } of undos.reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`cleanup: ${label}: ${(err as Error).message}`);
      }
    }
  })();
  return undoing;
}
const inOwnNetns = process.env['SKIFF_BENCH_NETNS'] === 'inner' || process.env['BENCH_NETNS'] === 'host';
if (inOwnNetns) {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (undoing !== undefined) return; // already cleaning up (a signal from the tty and one forwarded)
      console.error(`${sig}: cleaning up`);
      void runUndos().finally(() => process.exit(130));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Host state: iptables (only what this bench added is removed again), sysctls, dirs.

const TABLES = ['filter', 'nat', 'mangle', 'raw'] as const;
/** Chains the CNI plugins and skiffd's network isolation create once per host and share between all their users. */
const SHARED_CHAINS = ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-SETMARK', 'CNI-HOSTPORT-MASQ', 'CNI-FORWARD', 'CNI-ADMIN', 'SKIFF-ISOLATION-STAGE-1', 'SKIFF-ISOLATION-STAGE-2'];

interface IptablesSnapshot {
  rules: Map<string, Set<string>>;
  chains: Map<string, Set<string>>;
  policies: Map<string, Map<string, string>>;
}

function iptablesDump(table: string): string[] {
  return sh('iptables', ['-w', '-t', table, '-S']).split('\n').filter((l) => l !== '');
}

function snapshotIptables(): IptablesSnapshot {
  const s: IptablesSnapshot = { rules: new Map(), chains: new Map(), policies: new Map() };
  for (const t of TABLES) {
    const lines = iptablesDump(t);
    s.rules.set(t, new Set(lines.filter((l) => l.startsWith('-A '))));
    s.chains.set(t, new Set(lines.filter((l) => l.startsWith('-N ')).map((l) => l.slice(3))));
    s.policies.set(t, new Map(lines.filter((l) => l.startsWith('-P ')).map((l) => l.slice(3).split(' ') as [string, string])));
  }
  return s;
}

const ruleArgs = (rule: string): string[] => rule.slice(3).match(/"(?:[^"\\]|\\.)*"|\S+/g)!.map((a) => a.startsWith('"') ? a.slice(1, -1).replace(/\\"/g, '"') : a);
const ruleChain = (rule: string): string => rule.split(' ')[1]!;
const ruleTarget = (rule: string): string | undefined => / -[jg] (\S+)/.exec(rule)?.[1];

/**
 * Removes what this bench added: rules and chains new since the snapshot that name one of its
 * markers (bridges, subnet prefixes) or docker's chains, rules that jump to such chains, and the
 * shared CNI / skiffd chains if they are new and hold nothing but their fixed rules (no address, no
 * interface: nobody else uses them). Returns what is left
 * that names a marker (should be nothing).
 */
function restoreIptables(s: IptablesSnapshot, markers: readonly RegExp[]): string[] {
  const mine = (text: string): boolean => markers.some((m) => m.test(text));
  for (const t of TABLES) {
    const lines = iptablesDump(t);
    const added = lines.filter((l) => l.startsWith('-A ') && !s.rules.get(t)!.has(l));
    const newChains = lines.filter((l) => l.startsWith('-N ')).map((l) => l.slice(3)).filter((c) => !s.chains.get(t)!.has(c));
    const myChains = new Set(newChains.filter((c) => c.startsWith('DOCKER') || mine(`-N ${c}`) || added.some((r) => ruleChain(r) === c && mine(r))));
    for (let grew = true; grew;) { // a new chain whose rules only jump to chains of ours is ours too
      grew = false;
      for (const c of newChains) {
        const rules = added.filter((r) => ruleChain(r) === c);
        if (!myChains.has(c) && rules.length > 0 && rules.every((r) => myChains.has(ruleTarget(r) ?? ''))) {
          myChains.add(c);
          grew = true;
        }
      }
    }
    const ours = added.filter((r) => mine(r) || myChains.has(ruleChain(r)) || myChains.has(ruleTarget(r) ?? ''));
    for (const r of ours) spawnSync('iptables', ['-w', '-t', t, '-D', ...ruleArgs(r)], { stdio: 'ignore' });
    for (const c of myChains) spawnSync('iptables', ['-w', '-t', t, '-F', c], { stdio: 'ignore' });
    for (const c of myChains) spawnSync('iptables', ['-w', '-t', t, '-X', c], { stdio: 'ignore' });
    // shared chains this run created: removed when they hold only their fixed rules
    const now = iptablesDump(t);
    const shared = newChains.filter((c) => SHARED_CHAINS.includes(c));
    const idle = shared.filter((c) => now.filter((l) => l.startsWith(`-A ${c} `)).every((r) => !/\d+\.\d+\.\d+\.\d+| -[io] /.test(r)));
    if (idle.length === shared.length && shared.length > 0) {
      for (const r of now.filter((l) => l.startsWith('-A ') && !s.rules.get(t)!.has(l) && shared.includes(ruleTarget(l) ?? ''))) {
        spawnSync('iptables', ['-w', '-t', t, '-D', ...ruleArgs(r)], { stdio: 'ignore' });
      }
      for (const c of shared) spawnSync('iptables', ['-w', '-t', t, '-F', c], { stdio: 'ignore' });
      for (const c of shared) spawnSync('iptables', ['-w', '-t', t, '-X', c], { stdio: 'ignore' });
    }
    for (const [chain, policy] of s.policies.get(t)!) {
      if (!now.includes(`-P ${chain} ${policy}`)) spawnSync('iptables', ['-w', '-t', t, '-P', chain, policy], { stdio: 'ignore' });
    }
  }
  const left: string[] = [];
  for (const t of TABLES) {
    for (const l of iptablesDump(t)) if (!s.rules.get(t)!.has(l) && (l.startsWith('-A ') || l.startsWith('-N ')) && (mine(l) || l.includes('DOCKER'))) left.push(`${t} ${l}`);
  }
  return left;
}

const SYSCTLS = ['/proc/sys/net/ipv4/ip_forward', ...['iptables', 'ip6tables', 'arptables'].map((x) => `/proc/sys/net/bridge/bridge-nf-call-${x}`)];

function snapshotSysctls(): Map<string, string> {
  return new Map(SYSCTLS.filter((p) => existsSync(p)).map((p) => [p, readFileSync(p, 'utf8').trim()]));
}

function restoreSysctls(s: Map<string, string>): void {
  for (const [p, v] of s) if (readFileSync(p, 'utf8').trim() !== v) writeFileSync(p, v);
}

// ---------------------------------------------------------------------------------------------
// Subnets and bridges of this bench.

const ipToInt = (ip: string): number => ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;

/** IPv4 networks the host uses: routes and interface addresses. */
function hostNetworks(): { base: number; bits: number }[] {
  const out: { base: number; bits: number }[] = [];
  for (const l of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 8 || f[1] === '00000000') continue;
    const le = (h: string): number => Number.parseInt(h.match(/../g)!.reverse().join(''), 16) >>> 0;
    const mask = le(f[7]!);
    out.push({ base: le(f[1]!), bits: mask === 0 ? 0 : Math.clz32(~mask >>> 0) });
  }
  for (const m of sh('ip', ['-4', '-o', 'addr', 'show']).matchAll(/inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/g)) out.push({ base: ipToInt(m[1]!), bits: Number(m[2]) });
  return out;
}

/** `count` /24s in 10.231.0.0/16 that overlap nothing the host routes or has as an address. */
function pickSubnets(count: number): string[] {
  const used = hostNetworks();
  const overlaps = (base: number, bits: number): boolean => used.some((u) => {
    const b = Math.min(bits, u.bits);
    const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
    return ((base & mask) >>> 0) === ((u.base & mask) >>> 0);
  });
  const out: string[] = [];
  for (let third = 10 + (process.pid % 200); out.length < count && third < 10 + (process.pid % 200) + 256; third++) {
    const base = ipToInt(`10.231.${third % 256}.0`);
    if (!overlaps(base, 24)) out.push(`10.231.${third % 256}.0/24`);
  }
  if (out.length < count) throw new Error('no free /24 in 10.231.0.0/16 for the bench bridges');
  return out;
}

const gatewayOf = (subnet: string): string => subnet.replace(/\.0\/24$/, '.1');
const prefixOf = (subnet: string): string => subnet.replace(/0\/24$/, '');

function createBridge(name: string, subnet?: string): void {
  onUndo(`ip link del ${name}`, () => void spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' }));
  sh('ip', ['link', 'add', name, 'type', 'bridge']);
  if (subnet !== undefined) sh('ip', ['addr', 'add', `${gatewayOf(subnet)}/24`, 'dev', name]);
  sh('ip', ['link', 'set', name, 'up']);
}

// ---------------------------------------------------------------------------------------------
// The image: busybox (sh, true, sleep, nc, httpd, dd, cat), /www/index.html, iperf3 with its libraries.

function buildRootfsTar(work: string): { tar: string; hasIperf: boolean } {
  const rootfs = join(work, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  for (const a of ['sh', 'true', 'sleep', 'nc', 'httpd', 'dd', 'cat', 'echo']) symlinkSync('busybox', join(rootfs, 'bin', a));
  mkdirSync(join(rootfs, 'www'));
  writeFileSync(join(rootfs, 'www/index.html'), 'ok\n');
  mkdirSync(join(rootfs, 'tmp'), { mode: 0o1777 });
  const hasIperf = existsSync('/usr/bin/iperf3');
  if (hasIperf) {
    const files = ['/usr/bin/iperf3', ...sh('ldd', ['/usr/bin/iperf3']).matchAll(/(\/\S+)/g)].map((m) => typeof m === 'string' ? m : m[1]!);
    for (const f of files) {
      mkdirSync(join(rootfs, dirname(f)), { recursive: true });
      copyFileSync(realpathSync(f), join(rootfs, f));
    }
  }
  const tar = join(work, 'rootfs.tar');
  sh('tar', ['-C', rootfs, '-cf', tar, '.']);
  return { tar, hasIperf };
}

// ---------------------------------------------------------------------------------------------
// Engines: a command line that speaks docker's verbs.

interface Cli {
  name: string;
  cmd: string;
  pre: string[];
  env: NodeJS.ProcessEnv;
  image: string;
}

const cliArgs = (c: Cli, args: string[]): string[] => [...c.pre, ...args];
const cliSh = (c: Cli, args: string[]): string => sh(c.cmd, cliArgs(c, args), c.env);

function removeAll(c: Cli): void {
  const ids = cliSh(c, ['ps', '-aq']).trim().split('\n').filter((x) => x !== '');
  for (let i = 0; i < ids.length; i += 50) spawnSync(c.cmd, cliArgs(c, ['rm', '-f', ...ids.slice(i, i + 50)]), { env: c.env, stdio: 'ignore' });
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, child?: ChildProcess, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await ok()) return;
    if (child !== undefined && child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: timed out`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Spawns a command; resolves with its stdout when it exits 0. */
function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv): { pid: number | undefined; done: Promise<string> } {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => code === 0 ? resolve(Buffer.concat(out).toString()) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${Buffer.concat(err).toString()}`)));
  });
  return { pid: child.pid, done };
}

// ---------------------------------------------------------------------------------------------
// Measurements.

/**
 * Probes http://127.0.0.1:<port>/ every 2 ms until one answers 200; ms since t0. Probes overlap (a
 * probe caught in a TCP or ARP retransmit does not hold back the next ones).
 */
function probeHttp(port: number, t0: number, limitMs = 20_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const live = new Set<ClientRequest>();
    let done = false;
    const finish = (err: Error | undefined, ms = 0): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(limit);
      for (const r of live) r.destroy();
      if (err === undefined) resolve(ms);
      else reject(err);
    };
    const probe = (): void => {
      if (done || live.size >= 200) return;
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => {
          live.delete(req);
          if (res.statusCode === 200 && body === 'ok\n') finish(undefined, performance.now() - t0);
        });
        res.on('error', () => live.delete(req));
      });
      live.add(req);
      req.on('timeout', () => req.destroy());
      req.on('error', () => live.delete(req));
      req.end();
    };
    const timer = setInterval(probe, 2);
    const limit = setTimeout(() => finish(new Error(`no HTTP answer on 127.0.0.1:${port} in ${limitMs} ms`)), limitMs);
    probe();
  });
}

/**
 * `run -d -p 127.0.0.1:<port>:80 … httpd`, then HTTP probes from the moment the CLI returns (as
 * `docker run -d … && curl …` would): ms from the CLI's start to the first answer. (Probing while
 * `run -d` is still at work is no fair test: dockerd's userland proxy listens before the
 * container's veth is up and dials the container for each early probe; after that, every probe
 * waited for a 1 s retransmit here: ~1.1 s for dockerd against ~0.2 s once the CLI is back.)
 */
async function httpFirstAnswer(c: Cli): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  let id = '';
  try {
    id = (await runAsync(c.cmd, cliArgs(c, ['run', '-d', '-p', `127.0.0.1:${port}:80`, c.image, 'httpd', '-f', '-p', '80', '-h', '/www']), c.env).done).trim();
    return await probeHttp(port, t0);
  } finally {
    if (id !== '') spawnSync(c.cmd, cliArgs(c, ['rm', '-f', id]), { env: c.env, stdio: 'ignore' });
  }
}

/** Sends `bytes` to 127.0.0.1:port and waits for the receiver's "done"; ms. */
function push(port: number, bytes: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let got = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error('push timed out')); }, timeoutMs);
    s.setEncoding('utf8');
    s.on('data', (d: string) => { got += d; });
    s.on('end', () => {
      clearTimeout(timer);
      s.destroy();
      if (got.includes('done')) resolve(performance.now() - t0);
      else reject(new Error(`no "done" from the receiver (${JSON.stringify(got)})`));
    });
    s.on('error', (err) => { clearTimeout(timer); reject(err); });
    const chunk = Buffer.alloc(1 << 20);
    let left = bytes;
    const write = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          s.once('drain', write);
          return;
        }
      }
      s.end();
    };
    s.once('connect', write);
  });
}

/** host → published port: MB/s of one PUSH_MIB transfer into a fresh container. */
async function hostToPublished(c: Cli): Promise<number> {
  const port = await freePort();
  const id = cliSh(c, ['run', '-d', '-p', `127.0.0.1:${port}:5001`, c.image, 'nc', '-ll', '-p', '5001', '-e', 'sh', '-c', 'dd of=/dev/null bs=1M 2>/dev/null; echo done']).trim();
  try {
    for (let i = 0; ; i++) { // ready when an empty transfer comes back with "done"
      try {
        await push(port, 0, 3000);
        break;
      } catch (err) {
        if (i > 200) throw err;
        await sleep(20);
      }
    }
    const ms = await push(port, PUSH_MIB << 20, 120_000);
    return (PUSH_MIB * 1.048576) / (ms / 1000);
  } finally {
    spawnSync(c.cmd, cliArgs(c, ['rm', '-f', id]), { env: c.env, stdio: 'ignore' });
  }
}

/** container → container on the default bridge: iperf3's receiver-side MB/s. */
async function containerToContainer(c: Cli): Promise<number> {
  const id = cliSh(c, ['run', '-d', c.image, 'iperf3', '-s', '-1', '--forceflush']).trim();
  try {
    await waitFor('iperf3 server', () => cliSh(c, ['logs', id]).includes('Server listening'), undefined, 200);
    const ip = cliSh(c, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id]).trim();
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`${c.name}: no IP address for the iperf3 server: ${JSON.stringify(ip)}`);
    const out = cliSh(c, ['run', '--rm', c.image, 'iperf3', '-c', ip, '-t', String(IPERF_SECONDS), '-J']);
    const j = JSON.parse(out) as { error?: string; end?: { sum_received?: { bits_per_second: number } } };
    if (j.error !== undefined || j.end?.sum_received === undefined) throw new Error(`${c.name}: iperf3: ${j.error ?? out.slice(0, 200)}`);
    return j.end.sum_received.bits_per_second / 8e6;
  } finally {
    spawnSync(c.cmd, cliArgs(c, ['rm', '-f', id]), { env: c.env, stdio: 'ignore' });
  }
}

// ---------------------------------------------------------------------------------------------
// Analysis: skiffd's debug log, a perf sched trace, the CNI plugins alone.

interface LogLine { op?: string; durationMs?: number; msg?: string }

/** Median attach and wait request times (ms) in skiffd's log from byte `from` on. */
function requestTimes(logPath: string, from: number): { attach: number; wait: number; create: number } {
  const lines = readFileSync(logPath).subarray(from).toString().split('\n').filter((l) => l.startsWith('{'));
  const pick = (re: RegExp): number[] => lines.map((l) => JSON.parse(l) as LogLine).filter((j) => j.msg === 'request' && re.test(j.op ?? '')).map((j) => j.durationMs ?? 0);
  return { attach: median(pick(/^POST \/.*containers\/\w+\/attach$/)), wait: median(pick(/^POST \/.*containers\/\w+\/wait$/)), create: median(pick(/^POST \/.*containers\/create$/)) };
}

interface PerfEvent { tgid: number; tid: number; t: number; kind: 'exec' | 'exit' | 'fork'; file?: string; child?: number; groupDead?: boolean }

function parsePerf(text: string): PerfEvent[] {
  const out: PerfEvent[] = [];
  for (const l of text.split('\n')) {
    const m = /^\s*.+?\s+(\d+)\/(\d+)\s+([\d.]+): sched:sched_process_(exec|exit|fork): (.*)$/.exec(l);
    if (m === null) continue;
    const e: PerfEvent = { tgid: Number(m[1]), tid: Number(m[2]), t: Number(m[3]) * 1000, kind: m[4] as PerfEvent['kind'] };
    if (e.kind === 'exec') e.file = /filename=(\S+)/.exec(m[5]!)?.[1];
    if (e.kind === 'fork') e.child = Number(/child_pid=(\d+)/.exec(m[5]!)?.[1]);
    if (e.kind === 'exit') e.groupDead = m[5]!.includes('group_dead=true');
    out.push(e);
  }
  return out;
}

interface RunTrace {
  total: number;
  beforeFirstPlugin: number;
  afterAdd: number; // last ADD plugin exit → shim exec
  shimToExit: number; // shim exec → container's `true` exit
  exitToFirstDel: number;
  afterDel: number; // last DEL plugin exit → CLI exit
  plugins: { type: string; phase: 'ADD' | 'DEL'; ms: number; iptables: number; iptablesMs: number }[];
  netnsThreadMs: number;
}

/** One `run --rm` of skiffd's, cut into phases from the sched events of the CLI, skiffd and its children. */
function traceRun(events: PerfEvent[], cliPid: number, skiffdPid: number): RunTrace | undefined {
  const start = events.find((e) => e.kind === 'exec' && e.tgid === cliPid)?.t;
  const end = events.find((e) => e.kind === 'exit' && e.groupDead === true && e.tgid === cliPid)?.t;
  if (start === undefined || end === undefined) return undefined;
  const within = events.filter((e) => e.t >= start && e.t <= end);
  const parent = new Map<number, number>(); // child pid → tgid of the forking process
  for (const e of within) if (e.kind === 'fork') parent.set(e.child!, e.tgid);
  const exitOf = (tgid: number): number | undefined => within.find((e) => e.kind === 'exit' && e.groupDead === true && e.tgid === tgid)?.t;
  const plugins: RunTrace['plugins'] = [];
  const seen = new Set<string>();
  const pluginTimes: { start: number; end: number }[] = [];
  for (const e of within.filter((x) => x.kind === 'exec' && x.file?.startsWith('/usr/lib/cni/') && parent.get(x.tgid) === skiffdPid)) {
    const type = e.file!.slice('/usr/lib/cni/'.length);
    const stop = exitOf(e.tgid) ?? e.t;
    const phase = seen.has(type) ? 'DEL' : 'ADD';
    seen.add(type);
    // iptables run by the plugin (or by its host-local child): exec → exit
    const kids = within.filter((x) => x.kind === 'exec' && /\/ip6?tables$/.test(x.file ?? '') && (parent.get(x.tgid) === e.tgid));
    const iptablesMs = kids.reduce((sum, k) => sum + ((exitOf(k.tgid) ?? k.t) - k.t), 0);
    plugins.push({ type, phase, ms: stop - e.t, iptables: kids.length, iptablesMs });
    pluginTimes.push({ start: e.t, end: stop });
  }
  const shim = within.find((e) => e.kind === 'exec' && e.file?.startsWith(`/proc/${skiffdPid}/fd/`));
  const trueExit = within.find((e) => e.kind === 'exec' && e.file === '/bin/true');
  const adds = plugins.filter((p) => p.phase === 'ADD').length;
  if (shim === undefined || trueExit === undefined || pluginTimes.length < 2 || adds === pluginTimes.length) return undefined;
  const lastAdd = pluginTimes[adds - 1]!.end;
  const firstDel = pluginTimes[adds]!.start;
  const lastDel = pluginTimes[pluginTimes.length - 1]!.end;
  const trueEnd = exitOf(trueExit.tgid) ?? trueExit.t;
  // a thread of skiffd that starts and ends before the first plugin: the netns Worker
  const threads = within.filter((e) => e.kind === 'fork' && e.tgid === skiffdPid && e.t < pluginTimes[0]!.start);
  const threadMs = threads.map((f) => {
    const x = within.find((e) => e.kind === 'exit' && e.tid === f.child && e.tgid === skiffdPid);
    return x === undefined ? 0 : x.t - f.t;
  });
  return {
    total: end - start, beforeFirstPlugin: pluginTimes[0]!.start - start, afterAdd: shim.t - lastAdd, shimToExit: trueEnd - shim.t,
    exitToFirstDel: firstDel - trueEnd, afterDel: end - lastDel, plugins, netnsThreadMs: Math.max(0, ...threadMs),
  };
}

interface PluginConf { type: string; [k: string]: unknown }

/** Runs a conflist's plugins by the CNI exec protocol (ADD in order, DEL in reverse); ms per plugin. */
function replayConflist(plugins: PluginConf[], netns: string, containerId: string): Map<string, number> {
  const times = new Map<string, number>();
  const env = (cmd: string): NodeJS.ProcessEnv => ({ PATH: process.env['PATH'], CNI_COMMAND: cmd, CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' });
  let prev: unknown;
  const exec = (cmd: string, p: PluginConf): string => {
    const input = { ...p, name: 'bench', cniVersion: '1.0.0', ...(prev === undefined ? {} : { prevResult: prev }) };
    const t0 = performance.now();
    const r = spawnSync(join('/usr/lib/cni', p.type), [], { env: env(cmd), input: JSON.stringify(input), encoding: 'utf8' });
    times.set(`${p.type} ${cmd}`, performance.now() - t0);
    if (r.status !== 0) throw new Error(`CNI ${p.type} ${cmd}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  try {
    for (const p of plugins) {
      const out = exec('ADD', p);
      if (out.trim() !== '') prev = JSON.parse(out);
    }
  } finally {
    for (const p of [...plugins].reverse()) {
      try { exec('DEL', p); } catch (err) { console.error(String(err)); }
    }
  }
  return times;
}

// ---------------------------------------------------------------------------------------------

const fmtMs = (x: number): string => `${x.toFixed(0)} ms`;
const fmtRatio = (x: number): string => x.toFixed(2);

async function main(): Promise<void> {
  const out: string[] = [];
  const say = (s = ''): void => {
    console.log(s);
    out.push(s);
  };
  const started = Date.now();

  // host state first: everything after this is undone
  const ipt = snapshotIptables();
  const sysctls = snapshotSysctls();
  const hostDirs = ['/run/netns', '/var/lib/cni', '/var/lib/containers'].filter((d) => !existsSync(d));
  const cgroupControllers = readdirSync('/sys/fs/cgroup').filter((c) => existsSync(join('/sys/fs/cgroup', c, 'cgroup.procs')));
  const cgroupsBefore = new Map(cgroupControllers.map((c) => [c, new Set(readdirSync(join('/sys/fs/cgroup', c)))]));
  const tag = process.pid.toString(36);
  const bridges = { skiff: `nb${tag}s`, docker: `nb${tag}d`, podman: `nb${tag}p`, replay: `nb${tag}r` };
  const subnets = pickSubnets(4);
  const [skSubnet, dkSubnet, pdSubnet, rpSubnet] = subnets as [string, string, string, string];
  const testChain = `SKBN-${tag}`; // the iptables timings' own chain
  const markers = [...[...Object.values(bridges), testChain].map((b) => new RegExp(`\\b${b}\\b`)), ...subnets.map((s) => new RegExp(prefixOf(s).replace(/\./g, '\\.')))];
  onUndo('host state', () => {
    const left = restoreIptables(ipt, markers);
    if (left.length > 0) console.error(`iptables: left behind:\n${left.join('\n')}`);
    restoreSysctls(sysctls);
    for (const d of hostDirs) if (existsSync(d)) rmSync(d, { recursive: true, force: true }); // made by podman/CNI
    for (const c of cgroupControllers) {
      for (const name of ['skiff-bench-net', 'skiff-bench-net-docker', 'libpod_parent']) {
        const dir = join('/sys/fs/cgroup', c, name);
        if (cgroupsBefore.get(c)!.has(name) || !existsSync(dir)) continue;
        const dirs = sh('find', [dir, '-depth', '-type', 'd']).split('\n').filter((x) => x !== '');
        for (const d of dirs) spawnSync('rmdir', [d], { stdio: 'ignore' });
      }
    }
  });

  const work = mkdtempSync('/tmp/sbn'); // short: sockets of skiffd's shims live under it
  onUndo(`rm ${work}`, () => {
    unmountBelow(work);
    rmSync(work, { recursive: true, force: true });
  });
  const { tar, hasIperf } = buildRootfsTar(work);

  // skiffd: debug log into a file (the request times of the analysis)
  const sk = join(work, 'sk');
  mkdirSync(sk);
  createBridge(bridges.skiff, skSubnet);
  writeFileSync(join(sk, 'daemon.json'), JSON.stringify({ 'cgroup-parent': 'skiff-bench-net', bridge: bridges.skiff, bip: `${gatewayOf(skSubnet)}/24` }));
  const skSock = join(sk, 's.sock');
  const skLog = join(sk, 'skiffd.log');
  const skLogFd = openSync(skLog, 'a');
  const skiffd = spawn(join(repo, 'bin', 'skiffd'), ['-H', `unix://${skSock}`, '--data-root', join(sk, 'data'), '--exec-root', join(work, 'x'),
    '--config-file', join(sk, 'daemon.json'), '--log-level', 'debug'], { stdio: ['ignore', 'ignore', skLogFd] });
  closeSync(skLogFd);
  const skEnv = { ...process.env, DOCKER_HOST: `unix://${skSock}`, DOCKER_CONFIG: join(sk, 'cli'), DOCKER_CLI_HINTS: 'false' };
  const skiff: Cli = { name: 'skiffd (docker CLI)', cmd: 'docker', pre: [], env: skEnv, image: 'nb:1' };
  const skiffCli: Cli = { name: 'skiffd (bin/skiff)', cmd: join(repo, 'bin', 'skiff'), pre: [], env: skEnv, image: 'nb:1' };
  onUndo('stop skiffd', async () => {
    if (skiffd.exitCode === null) {
      try { removeAll(skiff); } catch { /* down */ }
    }
    await stopChild(skiffd);
  });
  await waitFor('skiffd', () => spawnSync('docker', ['version'], { env: skEnv, stdio: 'ignore' }).status === 0, skiffd);
  sh('docker', ['import', '-c', 'ENV PATH=/bin:/usr/bin', tar, 'nb:1'], skEnv);

  // dockerd: its own bridge (made here), default iptables and userland proxy
  const dk = join(work, 'dk');
  mkdirSync(dk);
  createBridge(bridges.docker, dkSubnet);
  const dkSock = join(dk, 'd.sock');
  const dkLogFd = openSync(join(dk, 'dockerd.log'), 'a');
  const dockerd = spawn('dockerd', ['--host', `unix://${dkSock}`, '--data-root', join(dk, 'data'), '--exec-root', join(dk, 'exec'), '--pidfile', join(dk, 'pid'),
    '--bridge', bridges.docker, '--cgroup-parent', 'skiff-bench-net-docker', '--ip6tables=false'], { stdio: ['ignore', dkLogFd, dkLogFd] });
  closeSync(dkLogFd);
  const dkEnv = { ...process.env, DOCKER_HOST: `unix://${dkSock}`, DOCKER_CONFIG: join(dk, 'cli'), DOCKER_CLI_HINTS: 'false' };
  const docker: Cli = { name: 'dockerd', cmd: 'docker', pre: [], env: dkEnv, image: 'nb:1' };
  onUndo('stop dockerd', async () => {
    if (dockerd.exitCode === null) {
      try { removeAll(docker); } catch { /* down */ }
    }
    await stopChild(dockerd);
    for (const p of pidsMentioning(dk)) { // its containerd, if it outlived it
      try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
    unmountBelow(dk);
  });
  await waitFor('dockerd', () => spawnSync('docker', ['version'], { env: dkEnv, stdio: 'ignore' }).status === 0, dockerd);
  sh('docker', ['import', '-c', 'ENV PATH=/bin:/usr/bin', tar, 'nb:1'], dkEnv);
  const dockerVersion = sh('docker', ['version', '--format', '{{.Server.Version}}'], dkEnv).trim();
  docker.name = `dockerd ${dockerVersion}`;

  // podman (crun): CNI backend with a conflist of its default network's shape on a bridge of ours
  const pd = join(work, 'pd');
  mkdirSync(join(pd, 'net'), { recursive: true });
  writeFileSync(join(pd, 'net', 'benchnet.conflist'), JSON.stringify({
    cniVersion: '0.4.0', name: 'benchnet', plugins: [
      { type: 'bridge', bridge: bridges.podman, isGateway: true, ipMasq: true, hairpinMode: true,
        ipam: { type: 'host-local', routes: [{ dst: '0.0.0.0/0' }], ranges: [[{ subnet: pdSubnet, gateway: gatewayOf(pdSubnet) }]], dataDir: join(pd, 'ipam') } },
      { type: 'portmap', capabilities: { portMappings: true } }, { type: 'firewall' }, { type: 'tuning' },
    ],
  }));
  const conf = join(pd, 'containers.conf');
  writeFileSync(conf, `[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n`
    + `[network]\nnetwork_backend = "cni"\nnetwork_config_dir = "${join(pd, 'net')}"\ndefault_network = "benchnet"\n`);
  const podmanPre = ['-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh', 'podman', '--root', join(pd, 'root'), '--runroot', join(pd, 'run'),
    '--tmpdir', join(pd, 'tmp'), '--storage-driver', 'overlay', '--runtime', 'crun'];
  const podman: Cli = { name: 'podman 4.3 (crun)', cmd: 'unshare', pre: podmanPre, env: { ...process.env, CONTAINERS_CONF: conf }, image: 'localhost/nb:1' };
  onUndo(`ip link del ${bridges.podman}`, () => void spawnSync('ip', ['link', 'del', bridges.podman], { stdio: 'ignore' }));
  onUndo('podman system reset', () => {
    try { removeAll(podman); } catch { /* nothing */ }
    spawnSync('unshare', cliArgs(podman, ['system', 'reset', '--force']), { env: podman.env, stdio: 'ignore' });
    unmountBelow(pd);
  });
  cliSh(podman, ['import', '--change', 'ENV PATH=/bin:/usr/bin', tar, 'nb:1']);

  const header = `${DOC_HEADING} (${new Date().toISOString().slice(0, 10)}, ${ROUNDS} alternating rounds${QUICK ? ', QUICK' : ''})`;
  say(header);
  say();
  say(`Each engine on its own default bridge (a /24, its bridge made by the bench or its CNI plugin); busybox image with httpd, nc${hasIperf ? ' and iperf3' : ' (no iperf3: no container → container row)'}.`);
  say(`dockerd runs with its defaults (iptables, userland proxy for published ports); skiffd and podman attach through the CNI plugins${process.env['SKIFF_BENCH_NETNS'] === 'inner' ? '; all in a network namespace of the bench\'s own (its iptables start empty)' : ''}.`);
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  say();

  // 1. run --rm
  const runRm = (c: Cli, network?: string): number => timed(c.cmd, cliArgs(c, ['run', '--rm', ...(network === undefined ? [] : ['--network', network]), c.image, 'true']), c.env);
  const rmRows: { label: string; c: Cli; network?: string }[] = [
    { label: `${skiff.name}`, c: skiff }, { label: `${skiffCli.name}`, c: skiffCli }, { label: docker.name, c: docker }, { label: podman.name, c: podman },
    { label: `${skiff.name}, --network none`, c: skiff, network: 'none' }, { label: `${docker.name}, --network none`, c: docker, network: 'none' },
    { label: `${podman.name}, --network none`, c: podman, network: 'none' },
  ];
  for (const r of rmRows) runRm(r.c, r.network); // warm-up: bridges, iptables chains, page cache
  const rmTimes = new Map<string, number[]>(rmRows.map((r) => [r.label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of rmRows) rmTimes.get(r.label)!.push(runRm(r.c, r.network));
  }
  const rmMed = (label: string): number => median(rmTimes.get(label)!);
  const dockerRm = rmMed(docker.name);
  const dockerNone = rmMed(`${docker.name}, --network none`);
  say('`run --rm busybox true`, wall time (median):');
  say();
  say('| engine | default bridge | --network none | bridge − none | bridge vs dockerd |');
  say('|---|---|---|---|---|');
  for (const r of rmRows.filter((x) => x.network === undefined)) {
    const none = rmTimes.has(`${r.label}, --network none`) ? rmMed(`${r.label}, --network none`) : undefined;
    say(`| ${r.label} | ${fmtMs(rmMed(r.label))} | ${none === undefined ? '–' : fmtMs(none)} | ${none === undefined ? '–' : fmtMs(rmMed(r.label) - none)} | ${fmtRatio(rmMed(r.label) / dockerRm)} |`);
  }
  say();
  console.error(`[run --rm done after ${((Date.now() - started) / 1000).toFixed(0)} s]`);

  // 2. run -d -p → first HTTP answer
  const http = new Map<string, number[]>([[skiff.name, []], [docker.name, []]]);
  for (const c of [skiff, docker]) await httpFirstAnswer(c); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of [skiff, docker]) http.get(c.name)!.push(await httpFirstAnswer(c));
  }
  console.error(`[http done after ${((Date.now() - started) / 1000).toFixed(0)} s]`);

  // 3./4. throughput
  const c2c = new Map<string, number[]>([[skiff.name, []], [docker.name, []]]);
  const h2p = new Map<string, number[]>([[skiff.name, []], [docker.name, []]]);
  for (let round = 0; round < XFER_ROUNDS; round++) {
    for (const c of [skiff, docker]) {
      if (hasIperf) c2c.get(c.name)!.push(await containerToContainer(c));
      h2p.get(c.name)!.push(await hostToPublished(c));
    }
  }
  console.error(`[throughput done after ${((Date.now() - started) / 1000).toFixed(0)} s]`);

  const m = (map: Map<string, number[]>, c: Cli): number => median(map.get(c.name)!);
  say(`| measure (median) | ${skiff.name} | ${docker.name} | skiffd / dockerd | target |`);
  say('|---|---|---|---|---|');
  say(`| run --rm, default bridge, wall time | ${fmtMs(rmMed(skiff.name))} | ${fmtMs(dockerRm)} | ${fmtRatio(rmMed(skiff.name) / dockerRm)} | ≤ 0.35 |`);
  say(`| run -d -p, then HTTP from the host → first answer on 127.0.0.1 (${ROUNDS} rounds) | ${fmtMs(m(http, skiff))} | ${fmtMs(m(http, docker))} | ${fmtRatio(m(http, skiff) / m(http, docker))} | – |`);
  if (hasIperf) say(`| TCP container → container, iperf3 ${IPERF_SECONDS} s (${XFER_ROUNDS} rounds) | ${m(c2c, skiff).toFixed(0)} MB/s | ${m(c2c, docker).toFixed(0)} MB/s | ${fmtRatio(m(c2c, skiff) / m(c2c, docker))} | ≥ 1 |`);
  say(`| TCP host → 127.0.0.1:published, ${PUSH_MIB} MiB (${XFER_ROUNDS} rounds) | ${m(h2p, skiff).toFixed(0)} MB/s | ${m(h2p, docker).toFixed(0)} MB/s | ${fmtRatio(m(h2p, skiff) / m(h2p, docker))} | ≥ 1 |`);
  say();
  const spread = (map: Map<string, number[]>, c: Cli): string => {
    const xs = [...map.get(c.name)!].sort((a, b) => a - b);
    return `${xs[0]!.toFixed(0)}–${xs[xs.length - 1]!.toFixed(0)}`;
  };
  say(`Spread (min–max): HTTP ${spread(http, skiff)} ms vs ${spread(http, docker)} ms; ${hasIperf ? `container → container ${spread(c2c, skiff)} vs ${spread(c2c, docker)} MB/s; ` : ''}host → published ${spread(h2p, skiff)} vs ${spread(h2p, docker)} MB/s.`);
  say();

  // 5. where skiffd's time goes
  const skLogStart = statSync(skLog).size;
  for (let i = 0; i < TRACE_RUNS; i++) runRm(skiff, 'none');
  const noneReq = requestTimes(skLog, skLogStart);
  const perfOk = spawnSync('perf', ['--version'], { stdio: 'ignore' }).status === 0;
  const perfData = join(work, 'perf.data');
  let perf: ChildProcess | undefined;
  const tracedPids: number[] = [];
  const bridgeLogStart = statSync(skLog).size;
  if (perfOk) {
    perf = spawn('perf', ['record', '-q', '-a', '-e', 'sched:sched_process_exec', '-e', 'sched:sched_process_exit', '-e', 'sched:sched_process_fork', '-o', perfData], { stdio: 'ignore' });
    const p = perf;
    onUndo('stop perf', () => stopChild(p));
    await waitFor('perf record', () => existsSync(perfData) && statSync(perfData).size > 0, perf);
    await sleep(300);
  }
  for (let i = 0; i < TRACE_RUNS; i++) {
    const r = spawnSync(skiff.cmd, cliArgs(skiff, ['run', '--rm', skiff.image, 'true']), { env: skiff.env, stdio: 'ignore' });
    if (r.pid !== undefined) tracedPids.push(r.pid);
  }
  const bridgeReq = requestTimes(skLog, bridgeLogStart);
  say(`**Where skiffd's time goes** (${TRACE_RUNS} more \`run --rm\` each way through the docker CLI, medians).`);
  say();
  say(`skiffd's debug log: \`attach\` (the task is made there: netns, CNI ADD, shim) ${fmtMs(bridgeReq.attach)} on the bridge vs ${fmtMs(noneReq.attach)} with --network none; `
    + `\`wait\` (until removed: exit, CNI DEL, removal) ${fmtMs(bridgeReq.wait)} vs ${fmtMs(noneReq.wait)}. The network costs ${fmtMs(bridgeReq.attach - noneReq.attach)} before the start and ${fmtMs(bridgeReq.wait - noneReq.wait)} after the exit; `
    + `dockerd's whole bridge − none difference is ${fmtMs(dockerRm - dockerNone)}.`);
  say();
  if (perf !== undefined) {
    await sleep(300);
    perf.kill('SIGINT');
    await stopChild(perf);
    const text = sh('perf', ['script', '-i', perfData, '-F', 'comm,pid,tid,time,event,trace']);
    const traces = tracedPids.map((pid) => traceRun(parsePerf(text), pid, skiffd.pid!)).filter((x): x is RunTrace => x !== undefined);
    if (traces.length > 0) {
      const med = (f: (t: RunTrace) => number): string => fmtMs(median(traces.map(f)));
      const plugin = (type: string, phase: string, f: (p: RunTrace['plugins'][number]) => number): number =>
        median(traces.map((t) => t.plugins.filter((p) => p.type === type && p.phase === phase).reduce((s, p) => s + f(p), 0)));
      const sumPlugins = (phase: string): number => median(traces.map((t) => t.plugins.filter((p) => p.phase === phase).reduce((s, p) => s + p.ms, 0)));
      say(`perf sched trace of ${traces.length} of those bridge runs (exec → exit of each process; whole run ${med((t) => t.total)}):`);
      say();
      say('| phase | median | iptables calls | of which iptables |');
      say('|---|---|---|---|');
      say(`| CLI start → first CNI plugin (create, attach, rootfs mount, netns Worker thread ${med((t) => t.netnsThreadMs)}) | ${med((t) => t.beforeFirstPlugin)} | | |`);
      for (const phase of ['ADD', 'DEL'] as const) {
        const types = [...new Set(traces.flatMap((t) => t.plugins.filter((p) => p.phase === phase).map((p) => p.type)))];
        for (const type of types) {
          say(`| ${type} ${phase}${type === 'bridge' && phase === 'ADD' ? ' (host-local inside)' : ''} | ${fmtMs(plugin(type, phase, (p) => p.ms))} | ${plugin(type, phase, (p) => p.iptables).toFixed(0)} | ${fmtMs(plugin(type, phase, (p) => p.iptablesMs))} |`);
        }
        if (phase === 'ADD') {
          say(`| last ADD → shim exec (spec, cache file, resolv.conf…) | ${med((t) => t.afterAdd)} | | |`);
          say(`| shim exec → container's \`true\` exited | ${med((t) => t.shimToExit)} | | |`);
          say(`| exit → first DEL plugin | ${med((t) => t.exitToFirstDel)} | | |`);
        }
      }
      say(`| last DEL → CLI exit (removal, CLI) | ${med((t) => t.afterDel)} | | |`);
      say(`| **all CNI plugins, ADD + DEL** | ${fmtMs(sumPlugins('ADD') + sumPlugins('DEL'))} | ${median(traces.map((t) => t.plugins.reduce((s, p) => s + p.iptables, 0))).toFixed(0)} | ${fmtMs(median(traces.map((t) => t.plugins.reduce((s, p) => s + p.iptablesMs, 0))))} |`);
      say();
    }
  } else {
    say('(perf is not installed: no per-plugin trace of skiffd.)');
    say();
  }

  // the plugins alone, on a namespace and bridge of the bench's
  const netns = join(work, 'replay-ns');
  closeSync(openSync(netns, 'w'));
  onUndo('unpin replay netns', () => void spawnSync('umount', ['-l', netns], { stdio: 'ignore' }));
  sh('unshare', [`--net=${netns}`, 'true']);
  onUndo(`ip link del ${bridges.replay}`, () => void spawnSync('ip', ['link', 'del', bridges.replay], { stdio: 'ignore' }));
  const ipam = { type: 'host-local', ranges: [[{ subnet: rpSubnet, gateway: gatewayOf(rpSubnet) }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(work, 'replay-ipam') };
  const variants: { label: string; plugins: PluginConf[] }[] = [
    { label: "skiffd's conflist (bridge with ipMasq, portmap, firewall)", plugins: [
      { type: 'bridge', bridge: bridges.replay, isGateway: true, ipMasq: true, hairpinMode: true, ipam },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true }, { type: 'firewall', backend: 'iptables' }] },
    { label: 'bridge without ipMasq, alone', plugins: [{ type: 'bridge', bridge: bridges.replay, isGateway: true, ipMasq: false, hairpinMode: true, ipam }] },
  ];
  const replayRows: string[] = [];
  for (const v of variants) {
    const runs: Map<string, number>[] = [];
    replayConflist(v.plugins, netns, 'warmup0000000001'); // creates the bridge, the shared chains
    for (let i = 0; i < TRACE_RUNS; i++) runs.push(replayConflist(v.plugins, netns, `replay${String(i).padStart(10, '0')}`));
    const keys = [...runs[0]!.keys()];
    const total = median(runs.map((r) => [...r.values()].reduce((a, b) => a + b, 0)));
    replayRows.push(`| ${v.label} | ${keys.map((k) => `${k} ${median(runs.map((r) => r.get(k)!)).toFixed(0)}`).join(', ')} | ${fmtMs(total)} |`);
  }
  const execOnly = median(Array.from({ length: 10 }, () => {
    const t0 = performance.now();
    spawnSync('/usr/lib/cni/bridge', [], { env: { CNI_COMMAND: 'VERSION' }, input: '{"cniVersion":"1.0.0"}', stdio: ['pipe', 'ignore', 'ignore'] });
    return performance.now() - t0;
  }));
  // one iptables call of each kind, on a chain of the bench's (the plugins' ADDs are -N/-A/-C, their DELs -D/-F/-X)
  const rule = ['-d', `${gatewayOf(rpSubnet)}/32`, '-j', 'ACCEPT'];
  const ops: [string, string[]][] = [['-N', [testChain]], ['-A', [testChain, ...rule]], ['-C', [testChain, ...rule]], ['-D', [testChain, ...rule]], ['-F', [testChain]], ['-X', [testChain]]];
  const iptablesMs = new Map<string, number[]>(ops.map(([op]) => [op, []]));
  for (let i = 0; i < 10; i++) {
    for (const [op, args] of ops) {
      const t0 = performance.now();
      spawnSync('iptables', ['-w', '-t', 'nat', op, ...args], { stdio: 'ignore' });
      iptablesMs.get(op)!.push(performance.now() - t0);
    }
  }
  say(`The CNI plugins alone (run by this bench, ${TRACE_RUNS} ADD + DEL each on a namespace and bridge of its own; ms):`);
  say();
  say('| conflist | per plugin (median ms) | ADD + DEL |');
  say('|---|---|---|');
  for (const r of replayRows) say(r);
  say();
  say(`One exec of a CNI plugin binary doing nothing (\`bridge\` VERSION): ${execOnly.toFixed(1)} ms. One iptables call (nf_tables backend, median of 10, ms): ${[...iptablesMs].map(([op, xs]) => `${op} ${median(xs).toFixed(1)}`).join(', ')}.`);
  say();

  say(`Load average (1, 5, 15 min) at the start: ${loadAtStart}; at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (${cpus().length} CPUs).`);
  say();
  console.error(`[analysis done after ${((Date.now() - started) / 1000).toFixed(0)} s]`);
  await runUndos();

  if (!QUICK) {
    const doc = join(repo, 'docs', 'benchmarks.md');
    const previous = readFileSync(doc, 'utf8');
    const start = previous.indexOf(DOC_HEADING);
    const next = start >= 0 ? previous.slice(start + 1).search(/^##+ /m) : -1;
    const before = start >= 0 ? previous.slice(0, start) : `${previous.trimEnd()}\n\n`;
    const after = next >= 0 ? previous.slice(start + 1 + next) : '';
    writeFileSync(doc, `${before}${out.join('\n')}\n\n${after}`.replace(/\n{3,}/g, '\n\n'));
  }
}

if (inOwnNetns) {
  try {
    await main();
  } finally {
    await runUndos();
  }
} else {
  const child = spawn('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, SKIFF_BENCH_NETNS: 'inner' } });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  process.exit(code);
}
