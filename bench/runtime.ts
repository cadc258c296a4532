// bench/runtime: skiff-runtime against runc and crun on the same busybox bundle running /bin/true,
// alternating pair by pair in one run (so drift hits all alike); then create+start+delete; then the
// memory (Pss, /proc/<pid>/smaps_rollup) of 20 idle per-container monitors: skiff-shim vs conmon.
// Prints ratios (median of per-pair ratios) and writes them to docs/benchmarks.md.
//
// crun refuses this hybrid host, so its commands are timed by a worker inside `unshare -m` with
// /sys/fs/cgroup/unified unmounted: the worker's own set-up is not counted against crun.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { busyboxRootfs } from '../test/fixtures/busybox-rootfs.js';
import { runcDefaultSpec } from '../test/helpers/bundle.js';
import { repoRoot } from '../test/helpers/repo.js';
import {
  planContainer, encodePlan, ShimProcess, sealedShimImage, type PreparedContainer,
} from '../src/runtime/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const IDLE = Number(process.env.BENCH_IDLE ?? 20);
const repo = repoRoot();
const SKIFF = join(repo, 'bin', 'skiff-runtime');
const SHIM = join(repo, 'native', 'build', 'skiff-shim');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function timeCmd(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  // no pipes: after `create` the container's init holds its stdio until `start`, and spawnSync
  // would wait for that EOF
  const errFile = join(tmpdir(), `skiff-bench-stderr-${process.pid}`);
  const errFd = openSync(errFile, 'w');
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', errFd] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(errFd);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${readFileSync(errFile, 'utf8')}`);
  return ms;
}

/** A worker inside a private mount namespace that times crun commands on request. */
class CrunWorker {
  private readonly child: ChildProcess;
  private readonly lines: AsyncIterator<string>;

  constructor() {
    const script = `
      const { spawnSync } = require('node:child_process');
      require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
        const cmds = JSON.parse(line); const t0 = process.hrtime.bigint(); let err = '';
        for (const args of cmds) { const r = spawnSync('crun', args, { stdio: 'ignore' });
          if (r.status !== 0) { err = 'crun ' + args.join(' ') + ': exit ' + r.status; break; } }
        process.stdout.write(JSON.stringify({ ms: Number(process.hrtime.bigint() - t0) / 1e6, err }) + '\\n');
      });`;
    this.child = spawn('unshare', ['-m', 'sh', '-c', `umount /sys/fs/cgroup/unified 2>/dev/null; exec node -e "$0"`, script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }

  async time(cmds: string[][]): Promise<number> {
    this.child.stdin!.write(`${JSON.stringify(cmds)}\n`);
    const { value } = await this.lines.next();
    const r = JSON.parse(value as string) as { ms: number; err: string };
    if (r.err) throw new Error(r.err);
    return r.ms;
  }

  close(): void {
    this.child.stdin!.end();
  }
}

function pss(pid: number, field = 'Pss'): number {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'skiff-bench-'));
  const out: string[] = [];
  const say = (line: string): void => {
    console.log(line);
    out.push(line);
  };
  const crun = existsSync('/usr/bin/crun') ? new CrunWorker() : undefined;
  try {
    const rootfs = await busyboxRootfs();
    const bundle = join(work, 'bundle');
    mkdirSync(bundle);
    const spec = runcDefaultSpec();
    spec.root = { path: rootfs, readonly: true };
    spec.process!.terminal = false;
    spec.process!.args = ['/bin/true'];
    spec.linux!.cgroupsPath = undefined;
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const roots = { skiff: join(work, 'skiff'), runc: join(work, 'runc'), crun: join(work, 'crun') };

    // warm-up: page cache, the rootfs, each binary
    timeCmd(SKIFF, ['--root', roots.skiff, 'run', '--bundle', bundle, 'warm']);
    timeCmd('runc', ['--root', roots.runc, 'run', '--bundle', bundle, 'warm']);
    await crun?.time([['--root', roots.crun, 'run', '--bundle', bundle, 'warm']]);

    const run = { skiff: [] as number[], runc: [] as number[], crun: [] as number[] };
    const cycle = { skiff: [] as number[], runc: [] as number[], crun: [] as number[] };
    // ids (and so cgroup paths) unique to this run
    const tag = `bench${process.pid}`;
    for (let i = 0; i < ROUNDS; i++) {
      const id = `${tag}-r${i}`;
      run.skiff.push(timeCmd(SKIFF, ['--root', roots.skiff, 'run', '--bundle', bundle, id]));
      run.runc.push(timeCmd('runc', ['--root', roots.runc, 'run', '--bundle', bundle, id]));
      if (crun) run.crun.push(await crun.time([['--root', roots.crun, 'run', '--bundle', bundle, id]]));
      const cid = `${tag}-c${i}`;
      cycle.skiff.push(timeCmd(SKIFF, ['--root', roots.skiff, 'create', '--bundle', bundle, cid]) +
        timeCmd(SKIFF, ['--root', roots.skiff, 'start', cid]) + timeCmd(SKIFF, ['--root', roots.skiff, 'delete', '--force', cid]));
      cycle.runc.push(timeCmd('runc', ['--root', roots.runc, 'create', '--bundle', bundle, cid]) +
        timeCmd('runc', ['--root', roots.runc, 'start', cid]) + timeCmd('runc', ['--root', roots.runc, 'delete', '--force', cid]));
      if (crun) {
        cycle.crun.push(await crun.time([
          ['--root', roots.crun, 'create', '--bundle', bundle, cid], ['--root', roots.crun, 'start', cid],
          ['--root', roots.crun, 'delete', '--force', cid],
        ]));
      }
    }
    const ratio = (a: number[], b: number[]): number => median(a.map((x, i) => x / b[i]!));
    say(`## bench/runtime (${new Date().toISOString().slice(0, 10)}, ${ROUNDS} alternating rounds, busybox bundle, /bin/true)`);
    say('');
    say('| measure | skiff-runtime | runc | crun | skiff/runc | skiff/crun |');
    say('|---|---|---|---|---|---|');
    for (const [name, m] of [['run', run], ['create+start+delete', cycle]] as const) {
      const c = m.crun.length ? `${median(m.crun).toFixed(1)} ms` : 'n/a';
      const rc = m.crun.length ? ratio(m.skiff, m.crun).toFixed(2) : 'n/a';
      say(`| ${name} (median) | ${median(m.skiff).toFixed(1)} ms | ${median(m.runc).toFixed(1)} ms | ${c} | ${ratio(m.skiff, m.runc).toFixed(2)} | ${rc} |`);
    }
    // where skiff's time goes: node start-up alone, and the shim's part
    const nodeAlone = median(Array.from({ length: 10 }, () => timeCmd(process.execPath, ['-e', '0'])));
    const cliNoop = median(Array.from({ length: 10 }, () => timeCmd(SKIFF, ['--version'])));
    say('');
    say(`Node start-up alone (node -e 0): ${nodeAlone.toFixed(1)} ms; skiff-runtime --version (Node + CLI modules): ${cliNoop.toFixed(1)} ms.`);

    // ---- memory of idle monitors ----
    const skiffPss: number[] = [];
    const idleSpec = runcDefaultSpec();
    idleSpec.root = { path: rootfs, readonly: true };
    idleSpec.process!.terminal = false;
    idleSpec.process!.args = ['sleep', '1000'];
    idleSpec.mounts = idleSpec.mounts!.filter((m) => m.type !== 'cgroup');
    idleSpec.linux!.resources = undefined;
    const prep: PreparedContainer = { rootfs, bindSourceIsDir: new Map(), joinFds: new Map(), preserveFds: 0, cgroupMounts: [], noPivot: false, hookState: '{}' };
    // each shim copying itself into a private sealed memfd (the skiff-runtime CLI case), then all
    // shims exec'd from one shared sealed image (the skiffd case)
    const measureShims = async (shimPath: string, tag: string): Promise<{ pss: number[]; shmem: number }> => {
      const shims: ShimProcess[] = [];
      for (let i = 0; i < IDLE; i++) {
        const plan = planContainer(idleSpec, prep, { mode: 'shim', relayConsole: false, exitFile: join(work, `exit-${tag}-${i}`), controlSocket: join(work, `s-${tag}-${i}.sock`) });
        const shim = new ShimProcess({ shimPath, plan: encodePlan(plan.ops), stdio: ['ignore', 'ignore', 'ignore'], preservedFds: [], extraFds: [], detached: true, onSync: async () => {} });
        await shim.launched;
        shims.push(shim);
      }
      const out = { pss: shims.map((s) => pss(s.child.pid!)), shmem: median(shims.map((s) => pss(s.child.pid!, 'Pss_Shmem'))) };
      for (const s of shims) {
        process.kill(s.pid, 'SIGKILL');
        await s.waitExit();
      }
      return out;
    };
    const privateCopies = await measureShims(SHIM, 'private');
    const image = sealedShimImage(SHIM);
    const shared = await measureShims(image.path, 'shared');
    image.close();
    skiffPss.push(...shared.pss);

    const conmonPss: number[] = [];
    const conmons: number[] = [];
    const runcRoot = join(work, 'conmon-runc');
    for (let i = 0; i < IDLE; i++) {
      const cid = `m${i}`;
      const b = join(work, `cb-${i}`);
      mkdirSync(b);
      writeFileSync(join(b, 'config.json'), JSON.stringify(idleSpec));
      const pidfile = join(work, `conmon-${i}.pid`);
      const r = spawnSync('conmon', [
        '--api-version', '1', '-c', cid, '-u', cid, '-n', cid, '-r', '/usr/sbin/runc', '--runtime-arg', '--root', '--runtime-arg', runcRoot,
        '-b', b, '-p', join(work, `ctr-${i}.pid`), '-P', pidfile, '-l', `k8s-file:${join(work, `log-${i}`)}`,
        '--exit-dir', work, '--socket-dir-path', work, '--syslog',
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`conmon: ${r.stderr.toString()}`);
      const pid = Number(readFileSync(pidfile, 'utf8'));
      conmons.push(pid);
      spawnSync('runc', ['--root', runcRoot, 'start', cid]);
    }
    for (const pid of conmons) conmonPss.push(pss(pid));
    for (let i = 0; i < IDLE; i++) spawnSync('runc', ['--root', runcRoot, 'delete', '--force', `m${i}`]);

    say('');
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    say('| idle monitors (Pss, smaps_rollup) | median per monitor | total for ' + IDLE + ' | ratio to conmon |');
    say('|---|---|---|---|');
    say(`| skiff-shim, one shared sealed image (skiffd) | ${median(skiffPss)} kB | ${sum(skiffPss)} kB | ${(median(skiffPss) / median(conmonPss)).toFixed(2)} |`);
    say(`| skiff-shim, private sealed copy each (CLI) | ${median(privateCopies.pss)} kB (${privateCopies.shmem} kB of it the memfd copy) | ${sum(privateCopies.pss)} kB | ${(median(privateCopies.pss) / median(conmonPss)).toFixed(2)} |`);
    say(`| conmon 2.1.6 (with runc) | ${median(conmonPss)} kB | ${sum(conmonPss)} kB | 1.00 |`);
  } finally {
    crun?.close();
    rmSync(work, { recursive: true, force: true });
  }
  const doc = join(repo, 'docs', 'benchmarks.md');
  const previous = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n\nRatios from one run of each script on the project machine (2 cores). Lower is better for times and memory.\n';
  // Replace only the generated block: from its heading to the next heading (the hand-written
  // analysis under `### Where …` and other benchmarks' sections stay).
  const start = previous.indexOf('## bench/runtime');
  const next = start >= 0 ? previous.slice(start + 1).search(/^##+ /m) : -1;
  const before = start >= 0 ? previous.slice(0, start) : `${previous.trimEnd()}\n\n`;
  const after = next >= 0 ? previous.slice(start + 1 + next) : '';
  writeFileSync(doc, `${before}${out.join('\n')}\n\n${after}`.replace(/\n{3,}/g, '\n\n'));
}

await main();
