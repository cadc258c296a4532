// Runtime conformance suite: real containers from real OCI bundles, checked from inside with the
// probe (test/fixtures/probe/probe.c) or busybox applets. Parameterised by the runtime binary, so it
// runs against runc (the reference: a case runc fails is a wrong case) and against skiff-runtime
// (youki's contest `-r`). One describe per OCI feature, as crun's tests/test_<feature>.py.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { LinuxDevice, LinuxSeccomp, Spec, State } from '../../src/oci/index.js';
import { PROBE, TEST_GID, TEST_UID } from '../fixtures/busybox-rootfs.js';
import { CGROUP_PARENT, makeTempDir, writeBundle, type BundleOptions } from '../helpers/bundle.js';
import { cleanupFor, type Cleanup } from '../helpers/cleanup.js';
import { cgroupMounts, RuntimeCli, type CliResult, type OutputReader } from '../helpers/runtime-cli.js';

// node:test tracks the promises describe() and it() return; these wrappers say so once.
function feature(name: string, fn: () => void): void;
function feature(name: string, options: { skip: string | false }, fn: () => void): void;
function feature(name: string, a: { skip: string | false } | (() => void), b?: () => void): void {
  if (typeof a === 'function') void describe(name, a);
  else void describe(name, a, b);
}

function check(name: string, fn: (t: TestContext) => Promise<void>): void {
  void it(name, fn);
}

export interface RuntimeSuiteOptions {
  /** Skips every case with this reason. */
  skip?: string;
}

const EROFS = 30;
const EPERM = 1;
const EAGAIN = 11;
const MiB = 1024 * 1024;

/** Capability numbers (linux/capability.h) of the names the cases use. */
const CAP_NUMBERS: Record<string, number> = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_FOWNER: 3,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_RAW: 13,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_ADMIN: 21,
  CAP_MKNOD: 27,
  CAP_AUDIT_WRITE: 29,
};

/** The 16-hex-digit mask /proc/self/status shows for a set of capability names. */
function capMask(names: string[]): string {
  let mask = 0n;
  for (const name of names) {
    const bit = CAP_NUMBERS[name];
    if (bit === undefined) throw new Error(`unknown capability ${name}`);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}

/** Parses the probe's key=value lines (last one wins). */
function facts(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** [major, minor] when the binary reports itself as runc, for gating on known runc gaps. */
async function runcVersion(bin: string): Promise<[number, number] | undefined> {
  const out = await new Promise<string>((resolve) => {
    execFile(bin, ['--version'], { timeout: 10_000 }, (_err, stdout) => resolve(String(stdout)));
  });
  const m = /^runc version (\d+)\.(\d+)/m.exec(out);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function describeResult(res: CliResult): string {
  return `exit ${res.code} signal ${res.signal}${res.timedOut ? ' (timed out)' : ''}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`;
}

interface Prepared {
  id: string;
  bundle: string;
  rootfs: string;
  spec: Spec;
}

interface Running extends Prepared {
  output: OutputReader;
  state: State;
}

type PrepareOptions = Omit<BundleOptions, 'id' | 'args'>;

interface Ctx {
  cleanup: Cleanup;
  rt: RuntimeCli;
  /** A bundle for a fresh container id (deleted with --force at the end of the test). */
  prepare(args: string[], opts?: PrepareOptions): Promise<Prepared>;
  /** `run` in the foreground to completion. */
  run(
    args: string[],
    opts?: PrepareOptions & { input?: string; timeoutMs?: number },
  ): Promise<CliResult & { facts: Record<string, string> }>;
  /** Runs the probe and fails unless it exits 0; returns its facts. */
  probe(args: string[], opts?: PrepareOptions): Promise<Record<string, string>>;
  /** `run --detach` of `probe pause`, returned once the probe said it is ready. */
  startPaused(opts?: PrepareOptions): Promise<Running>;
}

async function context(t: TestContext, runtimeBin: string): Promise<Ctx> {
  const cleanup = cleanupFor(t);
  const rt = await RuntimeCli.create(cleanup, runtimeBin);
  const ctx: Ctx = {
    cleanup,
    rt,
    async prepare(args, opts = {}) {
      const id = rt.newId();
      const b = await writeBundle(cleanup, { ...opts, id, args });
      // Registered after the bundle so the container goes first (poststop hooks may need it).
      rt.track(id);
      return { id, bundle: b.dir, rootfs: b.rootfs, spec: b.spec };
    },
    async run(args, opts = {}) {
      const { input, timeoutMs, ...rest } = opts;
      const p = await ctx.prepare(args, rest);
      const res = await rt.cli(['run', '--bundle', p.bundle, p.id], {
        ...(input === undefined ? {} : { input }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
      return { ...res, facts: facts(res.stdout) };
    },
    async probe(args, opts = {}) {
      const res = await ctx.run([PROBE, ...args], opts);
      assert.equal(res.code, 0, describeResult(res));
      return res.facts;
    },
    async startPaused(opts = {}) {
      const p = await ctx.prepare([PROBE, 'pause'], opts);
      const res = await rt.cliDetached(['run', '--detach', '--bundle', p.bundle, p.id]);
      assert.equal(res.code, 0, describeResult(res));
      await res.output.waitFor(/^ready$/m);
      const state = await rt.state(p.id);
      return { ...p, output: res.output, state };
    },
  };
  return ctx;
}

/** The directory of the container's cgroup in the hierarchy that has `controller` (v1) or v2. */
async function cgroupDir(id: string, controller: string): Promise<{ dir: string; v2: boolean }> {
  const mounts = await cgroupMounts();
  const v1 = mounts.find((m) => path.basename(m) === controller || path.basename(m).split(',').includes(controller));
  if (v1) return { dir: path.join(v1, CGROUP_PARENT, id), v2: false };
  const v2 = mounts.find((m) => existsSync(path.join(m, 'cgroup.controllers')));
  if (!v2) throw new Error(`no cgroup hierarchy with ${controller}`);
  return { dir: path.join(v2, CGROUP_PARENT, id), v2: true };
}

async function hostStatus(pid: number): Promise<Record<string, string>> {
  const text = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return out;
}

function mountPoints(mountinfo: string): { root: string; point: string; options: string; fstype: string }[] {
  return mountinfo
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pre, post] = line.split(' - ');
      const f = pre!.split(' ');
      return { root: f[3]!, point: f[4]!, options: f[5]!, fstype: post!.split(' ')[0]! };
    });
}

export function runtimeSuite(name: string, runtimeBin: string, opts: RuntimeSuiteOptions = {}): void {
  const setup = (t: TestContext): Promise<Ctx> => context(t, runtimeBin);

  feature(`runtime conformance: ${name}`, { skip: opts.skip ?? false }, () => {
    feature('lifecycle', () => {
      check('create → created with pid → start → running → kill → stopped → delete', async (t) => {
        const { rt, prepare } = await setup(t);
        const p = await prepare([PROBE, 'pause']);
        const created = await rt.cliDetached(['create', '--bundle', p.bundle, p.id]);
        assert.equal(created.code, 0, describeResult(created));

        const st1 = await rt.state(p.id);
        assert.equal(st1.status, 'created');
        assert.equal(st1.id, p.id);
        assert.equal(st1.bundle, p.bundle);
        assert.equal(typeof st1.ociVersion, 'string');
        assert.ok(st1.pid !== undefined && st1.pid > 0, `created state has a pid: ${JSON.stringify(st1)}`);
        assert.ok(existsSync(`/proc/${st1.pid}`), 'the created container process exists on the host');
        // Nothing of the user process has run yet.
        assert.equal(created.output.text(), '');

        await rt.ok(['start', p.id]);
        await created.output.waitFor(/^ready$/m);
        const st2 = await rt.state(p.id);
        assert.equal(st2.status, 'running');
        assert.equal(st2.pid, st1.pid, 'start keeps the pid of create');

        await rt.ok(['kill', p.id, 'TERM']);
        await created.output.waitFor(/^signal=15$/m);
        await rt.waitForStatus(p.id, 'stopped');

        await rt.ok(['delete', p.id]);
        const gone = await rt.cli(['state', p.id]);
        assert.equal(gone.code, 1);
        assert.match(gone.stderr, /container does not exist/);
      });

      check('state JSON carries the OCI fields', async (t) => {
        const { startPaused } = await setup(t);
        const c = await startPaused({
          edit: (s) => {
            s.annotations = { 'org.skiff.test': 'yes' };
          },
        });
        const st = c.state as State & Record<string, unknown>;
        assert.equal(st.id, c.id);
        assert.equal(st.status, 'running');
        assert.equal(st.bundle, c.bundle);
        assert.match(st.ociVersion, /^1\.\d+\.\d+/);
        assert.ok(Number.isInteger(st.pid) && st.pid! > 1);
        assert.deepEqual(st.annotations, { 'org.skiff.test': 'yes' });
      });

      check('run propagates the exit code', async (t) => {
        const { run } = await setup(t);
        const three = await run(['sh', '-c', 'exit 3']);
        assert.equal(three.code, 3, describeResult(three));
        const zero = await run(['true']);
        assert.equal(zero.code, 0, describeResult(zero));
      });

      check('run reports a container killed by a signal as 128+n', async (t) => {
        const { run } = await setup(t);
        // A child of pid 1 can be killed by a signal it does not handle; sh reports it as 128+n.
        const res = await run(['sh', '-c', 'sh -c "kill -USR2 \\$\\$"; exit $?']);
        assert.equal(res.code, 128 + 12, describeResult(res));
      });

      check('run fails for a missing executable and the container never runs', async (t) => {
        const { run } = await setup(t);
        const res = await run(['/bin/no-such-binary']);
        assert.notEqual(res.code, 0, describeResult(res));
        assert.match(res.stderr, /no-such-binary/);
        assert.match(res.stderr, /no such file or directory/);
      });

      check('run --detach returns while the container keeps running', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        assert.equal(c.state.status, 'running');
        const list = await rt.ok(['list', '--format', 'json']);
        const entries = JSON.parse(list.stdout) as { id: string; status: string; pid: number }[];
        assert.deepEqual(
          entries.map((e) => [e.id, e.status, e.pid]),
          [[c.id, 'running', c.state.pid]],
        );
      });

      check('kill sends SIGTERM by default and accepts names and numbers', async (t) => {
        const { rt, startPaused } = await setup(t);
        const a = await startPaused();
        await rt.ok(['kill', a.id]);
        await a.output.waitFor(/^signal=15$/m);
        const b = await startPaused();
        await rt.ok(['kill', b.id, 'SIGUSR1']);
        await b.output.waitFor(/^signal=10$/m);
        const c = await startPaused();
        await rt.ok(['kill', c.id, '1']);
        await c.output.waitFor(/^signal=1$/m);
        const d = await startPaused();
        await rt.ok(['kill', d.id, 'KILL']);
        await rt.waitForStatus(d.id, 'stopped');
        assert.doesNotMatch(d.output.text(), /signal=/);
      });

      check('kill --all signals every process of the container', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        const extra = await rt.cliDetached(['exec', '--detach', c.id, PROBE, 'pause']);
        assert.equal(extra.code, 0, describeResult(extra));
        const before = JSON.parse((await rt.ok(['ps', '--format', 'json', c.id])).stdout) as number[];
        assert.equal(before.length, 2, `two processes before: ${JSON.stringify(before)}`);
        await rt.ok(['kill', '--all', c.id, 'KILL']);
        await rt.waitForStatus(c.id, 'stopped');
        for (const pid of before) {
          // Gone, or at most a zombie waiting for its reaper.
          const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
          assert.ok(stat === '' || / Z /.test(stat), `pid ${pid} still alive: ${stat}`);
        }
      });

      check('delete --force removes a running container and its cgroup', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        const { dir } = await cgroupDir(c.id, 'pids');
        assert.ok(existsSync(dir), `cgroup ${dir} exists while running`);
        await rt.ok(['delete', '--force', c.id]);
        const gone = await rt.cli(['state', c.id]);
        assert.equal(gone.code, 1);
        assert.match(gone.stderr, /container does not exist/);
        assert.ok(!existsSync(dir), `cgroup ${dir} removed`);
      });

      check('delete without --force refuses a running container', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        const res = await rt.cli(['delete', c.id]);
        assert.equal(res.code, 1, describeResult(res));
        assert.match(res.stderr, new RegExp(`cannot delete container ${c.id} that is not stopped: running`));
        assert.equal((await rt.state(c.id)).status, 'running');
      });

      check('verbs on a missing container fail with "container does not exist"', async (t) => {
        const { rt } = await setup(t);
        for (const args of [['state'], ['start'], ['kill'], ['delete'], ['pause'], ['resume'], ['ps']]) {
          const res = await rt.cli([...args, 'no-such-container']);
          assert.equal(res.code, 1, `${args[0]}: ${describeResult(res)}`);
          assert.match(res.stderr, /container does not exist/, `${args[0]}: ${res.stderr}`);
        }
      });

      check('create refuses a duplicate id and an invalid id', async (t) => {
        const { rt, startPaused, prepare } = await setup(t);
        const c = await startPaused();
        const dup = await rt.cli(['create', '--bundle', c.bundle, c.id]);
        assert.equal(dup.code, 1, describeResult(dup));
        assert.match(dup.stderr, /container with given ID already exists/);
        assert.equal((await rt.state(c.id)).status, 'running', 'the first container is untouched');

        const p = await prepare(['true']);
        const bad = await rt.cli(['create', '--bundle', p.bundle, '../escape']);
        assert.equal(bad.code, 1, describeResult(bad));
        assert.match(bad.stderr, /invalid container ID format/);
      });

      check('create --pid-file writes the container pid', async (t) => {
        const { rt, prepare, cleanup } = await setup(t);
        const dir = await makeTempDir(cleanup, 'skiff-pidfile-');
        const p = await prepare([PROBE, 'pause']);
        const pidFile = path.join(dir, 'pid');
        const res = await rt.cliDetached(['create', '--pid-file', pidFile, '--bundle', p.bundle, p.id]);
        assert.equal(res.code, 0, describeResult(res));
        assert.equal((await fs.readFile(pidFile, 'utf8')).trim(), String((await rt.state(p.id)).pid));
      });

      check('create fails on a bundle without config.json', async (t) => {
        const { rt, cleanup } = await setup(t);
        const empty = await makeTempDir(cleanup, 'skiff-empty-bundle-');
        const id = rt.newId();
        rt.track(id);
        const res = await rt.cli(['create', '--bundle', empty, id]);
        assert.equal(res.code, 1, describeResult(res));
        assert.match(res.stderr, /config\.json/);
        assert.match((await rt.cli(['state', id])).stderr, /container does not exist/);
      });

      check('start refuses a running and a stopped container', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        const again = await rt.cli(['start', c.id]);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /cannot start an already running container/);
        await rt.ok(['kill', c.id, 'KILL']);
        await rt.waitForStatus(c.id, 'stopped');
        const stopped = await rt.cli(['start', c.id]);
        assert.equal(stopped.code, 1);
        assert.match(stopped.stderr, /cannot start a container that has stopped/);
      });
    });

    feature('stdio', () => {
      check('passes stdout, stderr and stdin through when terminal is false', async (t) => {
        const { run } = await setup(t);
        const res = await run(['sh', '-c', 'echo out; echo err >&2; cat'], { input: 'from-stdin\n' });
        assert.equal(res.code, 0, describeResult(res));
        assert.equal(res.stdout, 'out\nfrom-stdin\n');
        assert.match(res.stderr, /^err$/m);
      });

      check('no stdio is a terminal', async (t) => {
        const { probe } = await setup(t);
        assert.deepEqual(await probe(['isatty']), { stdin: '0', stdout: '0', stderr: '0' });
      });

      check('no file descriptors leak beyond stdio', async (t) => {
        const { probe } = await setup(t);
        assert.equal((await probe(['fds'])).fds, '0,1,2');
      });
    });

    feature('hostname and domainname', () => {
      const edit = (s: Spec): void => {
        s.hostname = 'skiff-host';
        s.domainname = 'skiff.example';
      };

      check('sets the hostname in the new uts namespace', async (t) => {
        const { probe } = await setup(t);
        assert.equal((await probe(['hostname'], { edit })).hostname, 'skiff-host');
      });

      check('sets the domainname in the new uts namespace', async (t) => {
        const version = await runcVersion(runtimeBin);
        if (version && version[0] === 1 && version[1] < 2) {
          t.skip(`runc ${version.join('.')} does not apply domainname`);
          return;
        }
        const { probe } = await setup(t);
        assert.equal((await probe(['domainname'], { edit })).domainname, 'skiff.example');
      });
    });

    feature('namespaces', () => {
      check('a new network namespace has only loopback', async (t) => {
        const { run } = await setup(t);
        const res = await run(['ls', '/sys/class/net']);
        assert.equal(res.code, 0, describeResult(res));
        assert.deepEqual(res.stdout.trim().split(/\s+/), ['lo']);
      });

      check('loopback of a new network namespace is up (runc\'s loopback strategy)', async (t) => {
        const { run } = await setup(t);
        // IFF_UP is bit 0 of the interface flags (0x9 = UP|LOOPBACK)
        const res = await run(['cat', '/sys/class/net/lo/flags']);
        assert.equal(res.code, 0, describeResult(res));
        assert.equal(Number(res.stdout.trim()) & 1, 1, `lo flags ${res.stdout.trim()}`);
      });

      check('a new cgroup namespace shows the container cgroup as /', async (t) => {
        const { run } = await setup(t);
        const res = await run(['cat', '/proc/self/cgroup'], {
          edit: (s) => {
            s.linux!.namespaces!.push({ type: 'cgroup' });
          },
        });
        assert.equal(res.code, 0, describeResult(res));
        const paths = res.stdout.trim().split('\n').map((l) => l.split(':').slice(2).join(':'));
        assert.ok(paths.length > 0);
        for (const p of paths) assert.doesNotMatch(p, new RegExp(CGROUP_PARENT), `cgroup path ${p} is virtualised`);
      });

      check('process.oomScoreAdj is applied', async (t) => {
        const { run } = await setup(t);
        const res = await run(['cat', '/proc/self/oom_score_adj'], {
          edit: (s) => {
            s.process!.oomScoreAdj = 500;
          },
        });
        assert.equal(res.stdout.trim(), '500', describeResult(res));
      });
    });

    feature('pid namespace', () => {
      check('the process is pid 1', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['pid']);
        assert.equal(f.pid, '1');
        assert.equal(f.ppid, '0');
      });

      check('without a pid namespace the process is not pid 1', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['pid'], {
          edit: (s) => {
            s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
          },
        });
        assert.notEqual(f.pid, '1');
      });
    });

    feature('mounts', () => {
      check('has proc, dev tmpfs, devpts, shm, mqueue and a read-only sysfs, and no host mounts', async (t) => {
        const { run } = await setup(t);
        const res = await run([PROBE, 'mountinfo']);
        assert.equal(res.code, 0, describeResult(res));
        const mounts = mountPoints(res.stdout);
        const at = (p: string): (typeof mounts)[number] | undefined => mounts.find((m) => m.point === p);
        assert.equal(at('/proc')?.fstype, 'proc');
        assert.equal(at('/dev')?.fstype, 'tmpfs');
        assert.equal(at('/dev/pts')?.fstype, 'devpts');
        assert.equal(at('/dev/shm')?.fstype, 'tmpfs');
        assert.equal(at('/dev/mqueue')?.fstype, 'mqueue');
        assert.equal(at('/sys')?.fstype, 'sysfs');
        assert.match(at('/sys')!.options, /(^|,)ro(,|$)/);
        assert.ok(at('/'), 'a root mount');
        const foreign = mounts.filter((m) => !/^\/(proc|dev|sys)(\/|$)/.test(m.point) && m.point !== '/');
        assert.deepEqual(foreign, [], 'no host mounts leak into the container');
      });

      check('bind mounts a host directory, read-only when asked', async (t) => {
        const { run, cleanup } = await setup(t);
        const host = await makeTempDir(cleanup, 'skiff-bind-');
        await fs.writeFile(path.join(host, 'hello'), 'from-host\n');
        await fs.chmod(host, 0o755);
        const bind = (options: string[]) => (s: Spec): void => {
          s.mounts!.push({ destination: '/mnt', type: 'bind', source: host, options: ['rbind', ...options] });
        };
        const rw = await run(['sh', '-c', 'cat /mnt/hello && echo from-container > /mnt/written'], {
          edit: bind(['rw']),
        });
        assert.equal(rw.code, 0, describeResult(rw));
        assert.equal(rw.stdout, 'from-host\n');
        assert.equal(await fs.readFile(path.join(host, 'written'), 'utf8'), 'from-container\n');

        const ro = await run([PROBE, 'write', '/mnt/other'], { edit: bind(['ro']) });
        assert.equal(ro.facts.errno, String(EROFS), describeResult(ro));
        assert.ok(!existsSync(path.join(host, 'other')));
      });

      check('mounts a writable tmpfs with its flags and data', async (t) => {
        const { run } = await setup(t);
        const res = await run(['sh', '-c', `${PROBE} write /tmp/x && ${PROBE} mountinfo`], {
          edit: (s) => {
            s.mounts!.push({
              destination: '/tmp',
              type: 'tmpfs',
              source: 'tmpfs',
              options: ['nosuid', 'nodev', 'noexec', 'size=1m'],
            });
          },
        });
        assert.equal(res.code, 0, describeResult(res));
        assert.match(res.stdout, /^errno=0$/m, 'the tmpfs is writable over the read-only root');
        const line = res.stdout.split('\n').find((l) => l.split(' ')[4] === '/tmp');
        assert.ok(line, 'a /tmp mount');
        const m = mountPoints(line)[0]!;
        assert.equal(m.fstype, 'tmpfs');
        for (const flag of ['nosuid', 'nodev', 'noexec']) assert.match(m.options, new RegExp(`(^|,)${flag}(,|$)`), flag);
        assert.match(line, /size=1024k/);
      });
    });

    feature('root', () => {
      check('a read-only root refuses writes with EROFS', async (t) => {
        const { probe } = await setup(t);
        assert.equal((await probe(['write', '/probe-file'])).errno, String(EROFS));
        assert.equal((await probe(['syscall-errno', 'mkdir', '/tmp/dir'])).errno, String(EROFS));
      });

      check('a writable root keeps what the container writes', async (t) => {
        const { rt, prepare } = await setup(t);
        const p = await prepare([PROBE, 'write', '/tmp/from-container', 'hello\n'], { writableRootfs: true });
        const res = await rt.cli(['run', '--bundle', p.bundle, p.id]);
        assert.equal(facts(res.stdout).errno, '0', describeResult(res));
        assert.equal(await fs.readFile(path.join(p.rootfs, 'tmp/from-container'), 'utf8'), 'hello\n');
      });
    });

    feature('process user', () => {
      check('runs as root by default with no supplementary groups', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['ids']);
        assert.deepEqual([f.uid, f.gid, f.euid, f.egid, f.groups], ['0', '0', '0', '0', '']);
      });

      check('sets uid, gid and additionalGids', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['ids'], {
          edit: (s) => {
            s.process!.user = { uid: TEST_UID, gid: TEST_GID, additionalGids: [1001, 1002] };
          },
        });
        assert.equal(f.uid, String(TEST_UID));
        assert.equal(f.euid, String(TEST_UID));
        assert.equal(f.gid, String(TEST_GID));
        assert.deepEqual(f.groups!.split(',').sort(), ['1001', '1002']);
      });

      check('applies the umask (0022 when unset)', async (t) => {
        const { probe } = await setup(t);
        assert.equal((await probe(['umask'])).umask, '0022');
        const f = await probe(['umask'], {
          edit: (s) => {
            s.process!.user.umask = 0o077;
          },
        });
        assert.equal(f.umask, '0077');
      });
    });

    feature('capabilities', () => {
      const defaults = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

      check('the default set: effective, permitted and bounding match, inheritable is empty', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['caps']);
        assert.equal(f.CapEff, capMask(defaults));
        assert.equal(f.CapPrm, capMask(defaults));
        assert.equal(f.CapBnd, capMask(defaults));
        assert.equal(f.CapInh, capMask([]));
      });

      // For uid 0, execve makes the effective set equal to the permitted set, and no_new_privs keeps
      // the permitted set from growing to the bounding set: what the process sees is Bnd, Prm = Eff, Inh.
      check('a custom set is applied per field', async (t) => {
        const { probe } = await setup(t);
        const bounding = ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN', 'CAP_SETUID'];
        const f = await probe(['caps'], {
          edit: (s) => {
            s.process!.capabilities = {
              bounding,
              permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN'],
              effective: ['CAP_CHOWN', 'CAP_KILL'],
              inheritable: ['CAP_CHOWN'],
              ambient: [],
            };
          },
        });
        assert.equal(f.CapBnd, capMask(bounding));
        assert.equal(f.CapPrm, capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN']));
        assert.equal(f.CapEff, capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN']));
        assert.equal(f.CapInh, capMask(['CAP_CHOWN']));
        assert.equal(f.CapAmb, capMask([]));
      });

      check('ambient capabilities reach a non-root process', async (t) => {
        const { probe } = await setup(t);
        const caps = ['CAP_NET_BIND_SERVICE'];
        const f = await probe(['caps'], {
          edit: (s) => {
            s.process!.user = { uid: TEST_UID, gid: TEST_GID };
            s.process!.capabilities = { bounding: caps, permitted: caps, effective: caps, inheritable: caps, ambient: caps };
          },
        });
        assert.equal(f.CapAmb, capMask(caps));
        assert.equal(f.CapEff, capMask(caps));
        assert.equal(f.CapInh, capMask(caps));
      });

      check('a non-root process without ambient capabilities has none', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['caps'], {
          edit: (s) => {
            s.process!.user = { uid: TEST_UID, gid: TEST_GID };
            s.process!.capabilities!.ambient = [];
          },
        });
        assert.equal(f.CapEff, capMask([]));
        assert.equal(f.CapPrm, capMask([]));
        assert.equal(f.CapBnd, capMask(defaults));
      });
    });

    feature('no_new_privs', () => {
      check('is set when noNewPrivileges is true', async (t) => {
        const { probe } = await setup(t);
        assert.equal((await probe(['nnp'])).nnp, '1');
      });

      check('is clear when noNewPrivileges is false', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['nnp'], {
          edit: (s) => {
            s.process!.noNewPrivileges = false;
          },
        });
        assert.equal(f.nnp, '0');
      });
    });

    feature('rlimits', () => {
      check('applies RLIMIT_NOFILE from the default spec', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['rlimit', 'nofile']);
        assert.deepEqual([f.soft, f.hard], ['1024', '1024']);
      });

      check('applies distinct soft and hard limits', async (t) => {
        const { probe } = await setup(t);
        const edit = (s: Spec): void => {
          s.process!.rlimits = [
            { type: 'RLIMIT_NOFILE', soft: 512, hard: 2048 },
            { type: 'RLIMIT_CORE', soft: 0, hard: 4096 },
          ];
        };
        const nofile = await probe(['rlimit', 'nofile'], { edit });
        assert.deepEqual([nofile.soft, nofile.hard], ['512', '2048']);
        const core = await probe(['rlimit', 'core'], { edit });
        assert.deepEqual([core.soft, core.hard], ['0', '4096']);
      });

      check('reports an error when raising a hard limit needs CAP_SYS_RESOURCE it lacks', async (t) => {
        const host = (await fs.readFile('/proc/self/limits', 'utf8')).match(/^Max open files\s+\d+\s+(\d+)/m);
        const status = await hostStatus(process.pid);
        const hasSysResource = (BigInt('0x' + status.CapEff!) & (1n << 24n)) !== 0n;
        if (!host || hasSysResource) {
          t.skip('needs a finite hard RLIMIT_NOFILE and no CAP_SYS_RESOURCE on the host');
          return;
        }
        const above = Number(host[1]) + 10_000;
        const { run } = await setup(t);
        const res = await run([PROBE, 'rlimit', 'nofile'], {
          edit: (s) => {
            s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: above, hard: above }];
          },
        });
        assert.notEqual(res.code, 0, describeResult(res));
        assert.match(res.stderr, /rlimit|operation not permitted/i);
        assert.doesNotMatch(res.stdout, /soft=/, 'the process must not run');
      });
    });

    feature('masked and readonly paths', () => {
      check('masked files read as empty character devices', async (t) => {
        const { probe } = await setup(t);
        for (const file of ['/proc/keys', '/proc/timer_list']) {
          const f = await probe(['open', file, 'r']);
          assert.deepEqual([f.errno, f.bytes], ['0', '0'], file);
          const st = await probe(['stat', file]);
          assert.equal(st.type, 'c', `${file} is a device node`);
        }
      });

      check('masked directories are empty', async (t) => {
        const { run } = await setup(t);
        const res = await run(['sh', '-c', 'ls -A /proc/acpi /sys/firmware /home'], {
          edit: (s) => {
            s.linux!.maskedPaths!.push('/home');
          },
        });
        assert.equal(res.code, 0, describeResult(res));
        assert.equal(res.stdout.replace(/^.*:$/gm, '').trim(), '', 'no entries under masked dirs');
      });

      check('readonly paths refuse writes with EROFS', async (t) => {
        const { probe } = await setup(t);
        assert.equal((await probe(['write', '/proc/sys/kernel/hostname', 'x'])).errno, String(EROFS));
        const f = await probe(['write', '/tmp/x'], {
          writableRootfs: true,
          edit: (s) => {
            s.linux!.readonlyPaths!.push('/tmp');
          },
        });
        assert.equal(f.errno, String(EROFS));
      });
    });

    feature('env and cwd', () => {
      check('passes env exactly, including values with =', async (t) => {
        const { run } = await setup(t);
        const res = await run(['env'], {
          edit: (s) => {
            s.process!.env = ['PATH=/bin', 'FOO=bar', 'WITH_EQ=a=b=c', 'EMPTY='];
          },
        });
        assert.equal(res.code, 0, describeResult(res));
        // runc adds HOME from the user's /etc/passwd entry when the config does not set it.
        assert.deepEqual(res.stdout.trim().split('\n').sort(), [
          'EMPTY=',
          'FOO=bar',
          'HOME=/root',
          'PATH=/bin',
          'WITH_EQ=a=b=c',
        ]);
      });

      check('keeps a HOME the config sets, and takes HOME from /etc/passwd for another user', async (t) => {
        const { run } = await setup(t);
        const set = await run(['env'], {
          edit: (s) => {
            s.process!.env = ['PATH=/bin', 'HOME=/elsewhere'];
          },
        });
        assert.match(set.stdout, /^HOME=\/elsewhere$/m);
        const user = await run(['env'], {
          edit: (s) => {
            s.process!.user = { uid: TEST_UID, gid: TEST_GID };
          },
        });
        assert.match(user.stdout, /^HOME=\/home\/test$/m);
      });

      check('starts in process.cwd', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['cwd'], {
          edit: (s) => {
            s.process!.cwd = '/home/test';
          },
        });
        assert.equal(f.cwd, '/home/test');
      });
    });

    feature('user namespace', () => {
      const HOST_BASE = 100000;
      const edit = (s: Spec): void => {
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: HOST_BASE, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: HOST_BASE, size: 65536 }];
      };

      check('inside: the maps are the configured ones and the process is root', async (t) => {
        const { run } = await setup(t);
        const res = await run(['sh', '-c', `cat /proc/self/uid_map /proc/self/gid_map; ${PROBE} ids`], { edit });
        assert.equal(res.code, 0, describeResult(res));
        const maps = res.stdout.split('\n').filter((l) => /^\s*\d/.test(l)).map((l) => l.trim().split(/\s+/).join(' '));
        assert.deepEqual(maps, [`0 ${HOST_BASE} 65536`, `0 ${HOST_BASE} 65536`]);
        assert.equal(res.facts.uid, '0');
      });

      check('outside: the container process runs as the mapped host uid', async (t) => {
        const { startPaused } = await setup(t);
        const c = await startPaused({ edit });
        const st = await hostStatus(c.state.pid!);
        assert.equal(st.Uid!.split(/\s+/)[0], String(HOST_BASE));
        assert.equal(st.Gid!.split(/\s+/)[0], String(HOST_BASE));
      });
    });

    feature('seccomp', () => {
      const filter = (syscalls: LinuxSeccomp['syscalls']): ((s: Spec) => void) => (s) => {
        s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls };
      };

      check('without a filter mkdir fails only with EROFS', async (t) => {
        const { probe } = await setup(t);
        assert.equal((await probe(['syscall-errno', 'mkdir', '/x'])).errno, String(EROFS));
      });

      check('SCMP_ACT_ERRNO with errnoRet returns that errno', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['syscall-errno', 'mkdir', '/x'], {
          edit: filter([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 }]),
        });
        assert.equal(f.errno, '42');
      });

      check('SCMP_ACT_ERRNO without errnoRet returns EPERM and leaves other syscalls alone', async (t) => {
        const { probe } = await setup(t);
        const edit = filter([{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO' }]);
        assert.equal((await probe(['syscall-errno', 'getcwd'], { edit })).errno, String(EPERM));
        assert.equal((await probe(['syscall-errno', 'uname'], { edit })).errno, '0');
      });
    });

    feature('sysctl', () => {
      check('sets namespaced sysctls', async (t) => {
        const { probe } = await setup(t);
        const edit = (s: Spec): void => {
          s.linux!.sysctl = { 'kernel.shmmax': '4096', 'net.ipv4.ip_forward': '1' };
        };
        assert.equal((await probe(['sysctl', 'kernel.shmmax'], { edit })).value, '4096');
        assert.equal((await probe(['sysctl', 'net.ipv4.ip_forward'], { edit })).value, '1');
      });
    });

    feature('devices', () => {
      check('creates the default devices', async (t) => {
        const { probe } = await setup(t);
        for (const [dev, major, minor] of [
          ['/dev/null', 1, 3],
          ['/dev/zero', 1, 5],
          ['/dev/full', 1, 7],
          ['/dev/random', 1, 8],
          ['/dev/urandom', 1, 9],
          ['/dev/tty', 5, 0],
        ] as const) {
          const f = await probe(['stat', dev]);
          assert.deepEqual([f.type, f.major, f.minor], ['c', String(major), String(minor)], dev);
        }
        assert.equal((await probe(['open', '/dev/null', 'w'])).errno, '0');
      });

      check('creates linux.devices with their mode, uid and gid', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['stat', '/dev/skiff-null'], {
          edit: (s) => {
            s.linux!.devices = [
              { path: '/dev/skiff-null', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: TEST_UID, gid: 1001 },
            ];
          },
        });
        assert.deepEqual(
          [f.type, f.major, f.minor, f.mode, f.uid, f.gid],
          ['c', '1', '3', '0640', String(TEST_UID), '1001'],
        );
      });

      // /dev/kmsg opened write-only needs no capability, so only the device cgroup can refuse it.
      check('the device cgroup denies a device without an allow rule', async (t) => {
        const { probe } = await setup(t);
        const kmsg: LinuxDevice = { path: '/dev/skiff-kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o666, uid: 0, gid: 0 };
        const denied = await probe(['open', '/dev/skiff-kmsg', 'w'], {
          edit: (s) => {
            s.linux!.devices = [kmsg];
          },
        });
        assert.equal(denied.errno, String(EPERM));
        const allowed = await probe(['open', '/dev/skiff-kmsg', 'w'], {
          edit: (s) => {
            s.linux!.devices = [kmsg];
            s.linux!.resources!.devices!.push({ allow: true, type: 'c', major: 1, minor: 11, access: 'w' });
          },
        });
        assert.equal(allowed.errno, '0');
      });
    });

    feature('hooks', () => {
      check('runs createRuntime, prestart, poststart and poststop in order with the state on stdin', async (t) => {
        const { rt, prepare, cleanup } = await setup(t);
        const out = await makeTempDir(cleanup, 'skiff-hooks-');
        const hook = (name: string) => ({
          path: '/bin/sh',
          args: ['sh', '-c', `cat > ${out}/${name}.json && echo ${name} >> ${out}/order`],
        });
        const p = await prepare([PROBE, 'pause'], {
          edit: (s) => {
            s.hooks = {
              prestart: [hook('prestart')],
              createRuntime: [hook('createRuntime')],
              poststart: [hook('poststart')],
              poststop: [hook('poststop')],
            };
          },
        });
        const order = async (): Promise<string[]> =>
          (await fs.readFile(path.join(out, 'order'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

        const created = await rt.cliDetached(['create', '--bundle', p.bundle, p.id]);
        assert.equal(created.code, 0, describeResult(created));
        // The spec runs poststart in `start`; runc 1.1 runs it at the end of `create`
        // (opencontainers/runc#4347, fixed by #5186), so both are accepted here.
        const afterCreate = await order();
        assert.deepEqual(afterCreate.slice(0, 2), ['prestart', 'createRuntime']);
        assert.ok(afterCreate.length === 2 || afterCreate[2] === 'poststart', afterCreate.join(','));
        const pid = (await rt.state(p.id)).pid;

        await rt.ok(['start', p.id]);
        await created.output.waitFor(/^ready$/m);
        assert.deepEqual(await order(), ['prestart', 'createRuntime', 'poststart']);

        await rt.ok(['kill', p.id, 'KILL']);
        await rt.waitForStatus(p.id, 'stopped');
        await rt.ok(['delete', p.id]);
        assert.deepEqual(await order(), ['prestart', 'createRuntime', 'poststart', 'poststop']);

        for (const name of ['prestart', 'createRuntime', 'poststart', 'poststop']) {
          const st = JSON.parse(await fs.readFile(path.join(out, `${name}.json`), 'utf8')) as State;
          assert.equal(st.id, p.id, name);
          assert.equal(st.bundle, p.bundle, name);
          assert.equal(typeof st.ociVersion, 'string', name);
          if (name !== 'poststop') assert.equal(st.pid, pid, `${name} sees the container pid`);
        }
      });

      // Both run in the container's mount and uts namespaces (compared by inode with the
      // container process's from the host). createContainer runs before pivot_root, so it sees host paths but the container's mounts
      // (proc mounted under the rootfs); startContainer runs after it, inside the rootfs, where
      // /bin/probe exists and /mnt is a bind of the host dir collecting the results.
      check('runs createContainer at create and startContainer at start, in the container namespaces', async (t) => {
        const { rt, prepare, cleanup } = await setup(t);
        const out = await makeTempDir(cleanup, 'skiff-hooks-');
        await fs.chmod(out, 0o777);
        const p = await prepare(['sh', '-c', `echo process >> /mnt/order && exec ${PROBE} pause`], {
          edit: (s) => {
            s.hostname = 'hook-host';
            s.mounts!.push({ destination: '/mnt', type: 'bind', source: out, options: ['rbind', 'rw'] });
            const rootfs = s.root!.path;
            s.hooks = {
              createContainer: [
                {
                  path: '/bin/sh',
                  args: [
                    'sh',
                    '-c',
                    `test -f ${rootfs}/proc/self/status && readlink /proc/self/ns/mnt /proc/self/ns/uts > ${out}/createContainer.ns && echo createContainer >> ${out}/order`,
                  ],
                },
              ],
              startContainer: [
                {
                  path: '/bin/sh',
                  args: ['sh', '-c', `test -x ${PROBE} && { readlink /proc/self/ns/mnt; readlink /proc/self/ns/uts; } > /mnt/startContainer.ns && echo startContainer >> /mnt/order`],
                },
              ],
            };
          },
        });
        const order = async (): Promise<string[]> =>
          (await fs.readFile(path.join(out, 'order'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

        const created = await rt.cliDetached(['create', '--bundle', p.bundle, p.id]);
        assert.equal(created.code, 0, describeResult(created));
        assert.deepEqual(await order(), ['createContainer']);
        await rt.ok(['start', p.id]);
        await created.output.waitFor(/^ready$/m);
        assert.deepEqual(await order(), ['createContainer', 'startContainer', 'process']);
        const pid = (await rt.state(p.id)).pid!;
        const want = [await fs.readlink(`/proc/${pid}/ns/mnt`), await fs.readlink(`/proc/${pid}/ns/uts`)];
        assert.notEqual(want[0], await fs.readlink('/proc/self/ns/mnt'), 'the container has its own mount ns');
        for (const name of ['createContainer', 'startContainer']) {
          const seen = (await fs.readFile(path.join(out, `${name}.ns`), 'utf8')).trim().split('\n');
          assert.deepEqual(seen, want, name);
        }
      });

      check('a failing prestart hook fails create and the process never runs', async (t) => {
        const { rt, prepare } = await setup(t);
        const p = await prepare([PROBE, 'pause'], {
          edit: (s) => {
            s.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }] };
          },
        });
        const res = await rt.cliDetached(['create', '--bundle', p.bundle, p.id]);
        assert.notEqual(res.code, 0, describeResult(res));
        await res.output.ended;
        assert.equal(res.output.text(), '');
      });
    });

    feature('resource limits', () => {
      check('memory limit: the OOM killer ends the container and run exits 137', async (t) => {
        const { run } = await setup(t);
        const res = await run([PROBE, 'memhog', '256'], {
          edit: (s) => {
            s.linux!.resources!.memory = { limit: 32 * MiB, swap: 32 * MiB };
          },
          timeoutMs: 60_000,
        });
        assert.equal(res.code, 137, describeResult(res));
        assert.doesNotMatch(res.stdout, /allocated=256/);
      });

      check('pids limit: fork is refused with EAGAIN', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['forkbomb', '200'], {
          edit: (s) => {
            s.linux!.resources!.pids = { limit: 16 };
          },
        });
        assert.equal(f.errno, String(EAGAIN));
        assert.ok(Number(f.forked) < 16, `forked ${f.forked}`);
      });

      check('cpu quota: 20% of one CPU is the share the process gets', async (t) => {
        const { probe } = await setup(t);
        const f = await probe(['spin', '1'], {
          edit: (s) => {
            s.linux!.resources!.cpu = { quota: 20_000, period: 100_000 };
          },
        });
        const share = Number(f.cpu_ms) / Number(f.wall_ms);
        assert.ok(share > 0.05 && share < 0.35, `cpu share ${share} (cpu ${f.cpu_ms} ms over ${f.wall_ms} ms)`);
      });
    });

    feature('pause and resume', () => {
      check('freezes and thaws the container', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        await rt.ok(['pause', c.id]);
        assert.equal((await rt.state(c.id)).status, 'paused');
        const { dir, v2 } = await cgroupDir(c.id, 'freezer');
        const frozen = v2
          ? /^frozen 1$/m.test(await fs.readFile(path.join(dir, 'cgroup.events'), 'utf8'))
          : (await fs.readFile(path.join(dir, 'freezer.state'), 'utf8')).trim() === 'FROZEN';
        assert.ok(frozen, 'the cgroup is frozen');

        await rt.ok(['resume', c.id]);
        assert.equal((await rt.state(c.id)).status, 'running');
        // Alive and handling signals again.
        await rt.ok(['kill', c.id, 'USR1']);
        await c.output.waitFor(/^signal=10$/m);
      });
    });

    feature('ps', () => {
      check('lists the container processes', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        const json = JSON.parse((await rt.ok(['ps', '--format', 'json', c.id])).stdout) as number[];
        assert.deepEqual(json, [c.state.pid]);
        const table = await rt.ok(['ps', c.id]);
        assert.match(table.stdout, /^UID\s+PID/m);
        assert.match(table.stdout, new RegExp(`\\b${c.state.pid}\\b.*probe pause`));
      });
    });

    feature('exec', () => {
      check('joins the namespaces of the running container', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused({
          edit: (s) => {
            s.hostname = 'exec-host';
          },
        });
        assert.equal(facts((await rt.ok(['exec', c.id, PROBE, 'hostname'])).stdout).hostname, 'exec-host');
        const pid = facts((await rt.ok(['exec', c.id, PROBE, 'pid'])).stdout);
        assert.notEqual(pid.pid, '1');
        // Same pid namespace: pid 1 is the container's probe.
        assert.equal((await rt.ok(['exec', c.id, 'cat', '/proc/1/cmdline'])).stdout, `${PROBE}\0pause\0`);
      });

      check('propagates the exit code', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        const res = await rt.cli(['exec', c.id, 'sh', '-c', 'exit 7']);
        assert.equal(res.code, 7, describeResult(res));
      });

      check('applies --env, --cwd and --user', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        const env = await rt.ok(['exec', '--env', 'FOO=from-exec', c.id, 'env']);
        assert.match(env.stdout, /^FOO=from-exec$/m);
        assert.match(env.stdout, /^PATH=/m, 'the container env is kept');
        assert.equal(facts((await rt.ok(['exec', '--cwd', '/home/test', c.id, PROBE, 'cwd'])).stdout).cwd, '/home/test');
        const ids = facts((await rt.ok(['exec', '--user', `${TEST_UID}:${TEST_GID}`, c.id, PROBE, 'ids'])).stdout);
        assert.deepEqual([ids.uid, ids.gid], [String(TEST_UID), String(TEST_GID)]);
      });

      check('refuses a stopped container', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        await rt.ok(['kill', c.id, 'KILL']);
        await rt.waitForStatus(c.id, 'stopped');
        const res = await rt.cli(['exec', c.id, 'true']);
        assert.notEqual(res.code, 0, describeResult(res));
        assert.match(res.stderr, /cannot exec in a stopped container/);
      });
    });

    feature('update', () => {
      check('--memory changes the limit and it bites', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused({
          edit: (s) => {
            s.linux!.resources!.memory = { limit: 256 * MiB };
          },
        });
        await rt.ok(['update', '--memory', String(32 * MiB), c.id]);
        const seen = await rt.ok([
          'exec',
          c.id,
          'sh',
          '-c',
          'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max',
        ]);
        assert.equal(seen.stdout.trim(), String(32 * MiB));
        const hog = await rt.cli(['exec', c.id, PROBE, 'memhog', '128'], { timeoutMs: 60_000 });
        assert.equal(hog.code, 137, describeResult(hog));
      });

      check('--pids-limit changes the limit and it bites', async (t) => {
        const { rt, startPaused } = await setup(t);
        const c = await startPaused();
        await rt.ok(['update', '--pids-limit', '20', c.id]);
        const f = facts((await rt.ok(['exec', c.id, PROBE, 'forkbomb', '100'])).stdout);
        assert.equal(f.errno, String(EAGAIN));
        assert.ok(Number(f.forked) < 20, `forked ${f.forked}`);
      });
    });
  });
}
