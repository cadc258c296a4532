// runc's verbs: each parses its flags, calls SkiffRuntime, and prints what runc prints.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { invalidArgument } from '../../base/index.js';
import type { LinuxResources, Process, Spec } from '../../oci/index.js';
import type { SkiffRuntime } from '../../runtime/index.js';
import { parseArgs, str, bool, multi, int, type FlagSpec } from './args.js';

const f = (kind: FlagSpec['kind'], ...names: string[]): FlagSpec => ({ names, kind });

const CREATE_FLAGS = [
  f('string', 'bundle', 'b'), f('string', 'console-socket'), f('string', 'pid-file'), f('bool', 'no-pivot'),
  f('bool', 'no-new-keyring'), f('string', 'preserve-fds'), f('string', 'pidfd-socket'),
];

export type Command = (rt: SkiffRuntime, argv: string[], ctx: CommandContext) => Promise<number>;

export interface CommandContext {
  defaultSpec: (rootless: boolean) => Spec;
  features: () => unknown;
}

function needId(args: string[], verb: string, max = 1): string {
  if (args.length < 1 || args.length > max) {
    throw invalidArgument(`"${verb}" requires exactly 1 argument(s)`);
  }
  return args[0]!;
}

function createOptions(p: ReturnType<typeof parseArgs>) {
  return {
    bundle: str(p, 'bundle') ?? process.cwd(),
    pidFile: str(p, 'pid-file'),
    consoleSocket: str(p, 'console-socket'),
    preserveFds: int(p, 'preserve-fds') ?? 0,
    noPivot: bool(p, 'no-pivot'),
  };
}

export function parseSignal(text: string | undefined): number {
  if (text === undefined) return constants.signals.SIGTERM;
  if (/^\d+$/.test(text)) return Number(text);
  const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
  const n = (constants.signals as Record<string, number>)[name];
  if (n === undefined) throw invalidArgument(`unknown signal "${text}"`);
  return n;
}

/** Forwards the signals a terminal or supervisor sends to the container's init, as `runc run` does. */
function forwardSignals(getPid: () => number): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
  const handler = (sig: NodeJS.Signals): void => {
    const pid = getPid();
    if (pid > 0 && sig !== 'SIGWINCH') {
      try {
        process.kill(pid, sig);
      } catch {
        /* exited */
      }
    }
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

export const commands: Record<string, Command> = {
  async spec(_rt, argv, ctx) {
    const p = parseArgs(argv, [f('string', 'bundle', 'b'), f('bool', 'rootless')]);
    const dir = str(p, 'bundle') ?? process.cwd();
    const path = join(dir, 'config.json');
    if (existsSync(path)) throw invalidArgument('File config.json exists. Remove it first.');
    writeFileSync(path, `${JSON.stringify(ctx.defaultSpec(bool(p, 'rootless')), null, '\t')}\n`, { mode: 0o644 });
    return 0;
  },

  async create(rt, argv) {
    const p = parseArgs(argv, CREATE_FLAGS);
    await rt.create(needId(p.args, 'create'), createOptions(p));
    return 0;
  },

  async run(rt, argv) {
    const p = parseArgs(argv, [...CREATE_FLAGS, f('bool', 'detach', 'd'), f('bool', 'keep')]);
    const id = needId(p.args, 'run');
    if (bool(p, 'detach')) {
      await rt.runDetached(id, createOptions(p));
      return 0;
    }
    let pid = 0;
    const stop = forwardSignals(() => pid);
    try {
      return await rt.run(id, createOptions(p), (initPid) => {
        pid = initPid;
      });
    } finally {
      stop();
    }
  },

  async start(rt, argv) {
    const p = parseArgs(argv, []);
    await rt.start(needId(p.args, 'start'));
    return 0;
  },

  async state(rt, argv) {
    const p = parseArgs(argv, []);
    process.stdout.write(`${JSON.stringify(rt.state(needId(p.args, 'state')), null, '  ')}\n`);
    return 0;
  },

  async list(rt, argv) {
    const p = parseArgs(argv, [f('string', 'format', 'f'), f('bool', 'quiet', 'q')]);
    const all = rt.list();
    if (bool(p, 'quiet')) {
      for (const s of all) process.stdout.write(`${s.id}\n`);
    } else if ((str(p, 'format') ?? 'table') === 'json') {
      process.stdout.write(`${JSON.stringify(all)}\n`);
    } else {
      const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...all.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner || 'root'])];
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      for (const r of rows) process.stdout.write(`${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3))).join('')}\n`);
    }
    return 0;
  },

  async kill(rt, argv) {
    const p = parseArgs(argv, [f('bool', 'all', 'a')]);
    if (p.args.length < 1 || p.args.length > 2) throw invalidArgument('"kill" requires a minimum of 1 and a maximum of 2 argument(s)');
    await rt.kill(p.args[0]!, parseSignal(p.args[1]), bool(p, 'all'));
    return 0;
  },

  async delete(rt, argv) {
    const p = parseArgs(argv, [f('bool', 'force', 'f')]);
    if (p.args.length < 1) throw invalidArgument('"delete" requires a minimum of 1 argument(s)');
    for (const id of p.args) await rt.delete(id, bool(p, 'force'));
    return 0;
  },

  async pause(rt, argv) {
    const p = parseArgs(argv, []);
    await rt.pause(needId(p.args, 'pause'));
    return 0;
  },

  async resume(rt, argv) {
    const p = parseArgs(argv, []);
    await rt.resume(needId(p.args, 'resume'));
    return 0;
  },

  async ps(rt, argv) {
    const p = parseArgs(argv, [f('string', 'format', 'f')], true);
    const id = p.args[0];
    if (id === undefined) throw invalidArgument('"ps" requires a minimum of 1 argument(s)');
    const pids = await rt.pids(id);
    if ((str(p, 'format') ?? 'table') === 'json') {
      process.stdout.write(`${JSON.stringify(pids)}\n`);
      return 0;
    }
    const psArgs = p.args.length > 1 ? p.args.slice(1) : ['-ef'];
    const out = spawnSync('ps', psArgs, { encoding: 'utf8' });
    if (out.status !== 0) throw invalidArgument(`ps ${psArgs.join(' ')}: ${out.stderr.trim()}`);
    const lines = out.stdout.split('\n');
    const header = lines[0] ?? '';
    const pidColumn = header.trim().split(/\s+/).indexOf('PID');
    if (pidColumn < 0) throw invalidArgument("couldn't find PID field in ps output");
    process.stdout.write(`${header}\n`);
    const set = new Set(pids);
    for (const line of lines.slice(1)) {
      const pid = Number(line.trim().split(/\s+/)[pidColumn]);
      if (set.has(pid)) process.stdout.write(`${line}\n`);
    }
    return 0;
  },

  async exec(rt, argv) {
    const p = parseArgs(argv, [
      f('string', 'console-socket'), f('string', 'cwd'), f('multi', 'env', 'e'), f('bool', 'tty', 't'), f('string', 'user', 'u'),
      f('multi', 'additional-gids', 'g'), f('string', 'process', 'p'), f('bool', 'detach', 'd'), f('string', 'pid-file'),
      f('string', 'process-label'), f('string', 'apparmor'), f('bool', 'no-new-privs'), f('multi', 'cap', 'c'),
      f('string', 'preserve-fds'), f('bool', 'ignore-paused'), f('string', 'cgroup'), f('string', 'pidfd-socket'),
    ], true);
    const id = p.args[0];
    if (id === undefined) throw invalidArgument('"exec" requires a minimum of 1 argument(s)');
    let proc: Process;
    const processFile = str(p, 'process');
    if (processFile !== undefined) {
      proc = JSON.parse(readFileSync(processFile, 'utf8')) as Process;
    } else {
      const base = rt.processOf(id);
      const args = p.args.slice(1);
      if (args.length === 0) throw invalidArgument('exec args cannot be empty');
      proc = { ...base, args, terminal: bool(p, 'tty') };
      const env = multi(p, 'env');
      if (env.length > 0) proc.env = [...(base.env ?? []), ...env];
      const cwd = str(p, 'cwd');
      if (cwd !== undefined) proc.cwd = cwd;
      const user = str(p, 'user');
      if (user !== undefined) {
        const [uid, gid] = user.split(':');
        if (!/^\d+$/.test(uid ?? '') || (gid !== undefined && !/^\d+$/.test(gid))) {
          throw invalidArgument(`--user ${user}: uid and gid must be numbers`);
        }
        proc.user = { ...proc.user, uid: Number(uid), gid: gid === undefined ? proc.user.gid : Number(gid) };
      }
      const gids = multi(p, 'additional-gids');
      if (gids.length > 0) proc.user = { ...proc.user, additionalGids: gids.map(Number) };
      const caps = multi(p, 'cap');
      if (caps.length > 0) {
        const c = proc.capabilities ?? {};
        const add = (l: string[] | undefined): string[] => [...new Set([...(l ?? []), ...caps])];
        proc.capabilities = { bounding: add(c.bounding), effective: add(c.effective), permitted: add(c.permitted), ambient: c.ambient, inheritable: c.inheritable };
      }
      if (bool(p, 'no-new-privs')) proc.noNewPrivileges = true;
    }
    let pid = 0;
    const detach = bool(p, 'detach');
    const stop = detach ? () => {} : forwardSignals(() => pid);
    try {
      return await rt.exec(id, {
        process: proc, detach, pidFile: str(p, 'pid-file'), consoleSocket: str(p, 'console-socket'),
        preserveFds: int(p, 'preserve-fds') ?? 0,
      }, (initPid) => {
        pid = initPid;
      });
    } finally {
      stop();
    }
  },

  async update(rt, argv) {
    const p = parseArgs(argv, [
      f('string', 'resources', 'r'), f('string', 'blkio-weight'), f('string', 'cpu-period'), f('string', 'cpu-quota'),
      f('string', 'cpu-share'), f('string', 'cpu-rt-period'), f('string', 'cpu-rt-runtime'), f('string', 'cpuset-cpus'),
      f('string', 'cpuset-mems'), f('string', 'memory'), f('string', 'memory-reservation'), f('string', 'memory-swap'),
      f('string', 'pids-limit'), f('string', 'l3-cache-schema'), f('string', 'mem-bw-schema'),
    ]);
    const id = needId(p.args, 'update');
    let r: LinuxResources;
    const file = str(p, 'resources');
    if (file !== undefined) {
      r = JSON.parse(file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8')) as LinuxResources;
    } else {
      r = {};
      const bytes = (name: string): number | undefined => {
        const v = str(p, name);
        return v === undefined ? undefined : parseBytes(v, name);
      };
      const mem = { limit: bytes('memory'), reservation: bytes('memory-reservation'), swap: bytes('memory-swap') };
      if (Object.values(mem).some((v) => v !== undefined)) r.memory = dropUndefined(mem);
      const cpu = {
        period: int(p, 'cpu-period'), quota: int(p, 'cpu-quota'), shares: int(p, 'cpu-share'),
        realtimePeriod: int(p, 'cpu-rt-period'), realtimeRuntime: int(p, 'cpu-rt-runtime'),
        cpus: str(p, 'cpuset-cpus'), mems: str(p, 'cpuset-mems'),
      };
      if (Object.values(cpu).some((v) => v !== undefined)) r.cpu = dropUndefined(cpu);
      const pids = int(p, 'pids-limit');
      if (pids !== undefined) r.pids = { limit: pids };
      const weight = int(p, 'blkio-weight');
      if (weight !== undefined) r.blockIO = { weight };
      if (str(p, 'l3-cache-schema') !== undefined || str(p, 'mem-bw-schema') !== undefined) {
        throw invalidArgument('--l3-cache-schema, --mem-bw-schema: intel RDT is not supported');
      }
    }
    await rt.update(id, r);
    return 0;
  },

  async events(rt, argv) {
    const p = parseArgs(argv, [f('bool', 'stats'), f('string', 'interval')]);
    const id = needId(p.args, 'events');
    if (!bool(p, 'stats')) throw invalidArgument('events: only --stats is supported');
    const stats = await rt.stats(id);
    process.stdout.write(`${JSON.stringify({ type: 'stats', id, data: stats })}\n`);
    return 0;
  },

  async features(_rt, _argv, ctx) {
    process.stdout.write(`${JSON.stringify(ctx.features(), null, '    ')}\n`);
    return 0;
  },
};

commands.ls = commands.list!;
commands.rm = commands.delete!;

function parseBytes(v: string, flag: string): number {
  const m = /^(-?\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v.trim());
  if (!m) throw invalidArgument(`invalid value "${v}" for flag --${flag}`);
  if (m[1] === '-1') return -1;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * unit);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
