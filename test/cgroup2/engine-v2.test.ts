// The engine on a pure cgroup v2 host: a private skiffd driven by the docker CLI inside the qemu VM of
// scripts/test-cgroup2.sh (cgroup_no_v1=all). run exit codes, a memory limit that OOM-kills, a pids
// limit that refuses fork, `stats` from the v2 stat files (usage − inactive_file, as docker computes
// it), `update` of memory.max (and memory.swap.max), pause/unpause through cgroup.freeze, and top. Checks read the
// container's cgroup directory (/sys/fs/cgroup/<cgroup-parent>/<id>) as well as what docker prints.
// Skipped unless SKIFF_CGROUP2_ROOT is set and /sys/fs/cgroup is a cgroup2 mount: skiffd always uses
// /sys/fs/cgroup, so the private cgroup2 mount of run-on-host.sh on a hybrid host is not enough.
// One daemon and five containers: the VM is emulated (TCG). No `docker exec`: the VM's init chroots
// into its root (no switch_root), so a process that joins a container's mount namespace lands in the
// initramfs, not in the container's root (scripts/vm/init.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, rmdir, statfs, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP2_SUPER_MAGIC = 0x63677270;
const PARENT = 'skiff-test-v2';
const NET = ['--network', 'none'];
const MiB = 1024 * 1024;

const isCgroup2 = await statfs(CGROUP_ROOT).then((s) => s.type === CGROUP2_SUPER_MAGIC, () => false);
const skip = process.env['SKIFF_CGROUP2_ROOT'] === undefined ? 'SKIFF_CGROUP2_ROOT is not set: run it with scripts/test-cgroup2.sh'
  : !isCgroup2 ? `${CGROUP_ROOT} is not a cgroup2 mount (skiffd uses it): run it with scripts/test-cgroup2.sh`
    : process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** GET on the daemon's socket, JSON body. */
function apiGet(socket: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${body}`));
        else resolve(JSON.parse(body));
      });
    });
    req.once('error', reject);
    req.end();
  });
}

/** docker's units.BytesSize ("1.23MiB", "512KiB", "64MiB") back to bytes. */
function parseBytes(s: string): number {
  const m = /^([\d.]+)(B|KiB|MiB|GiB)$/.exec(s.trim());
  assert.ok(m !== null, `a docker size: "${s}"`);
  return Number(m[1]) * { B: 1, KiB: 1024, MiB, GiB: 1024 * MiB }[m[2] as 'B' | 'KiB' | 'MiB' | 'GiB'];
}

/** A busybox image from a tar of the host's static busybox (`docker import`: no registry in the VM). */
async function busyboxImage(t: { after: (fn: () => Promise<void>) => void }, d: Skiffd): Promise<string> {
  const dir = await mkdtemp('/tmp/skiff-v2-rootfs-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const sub of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev']) await mkdir(join(dir, 'root', sub), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'root/bin/busybox'));
  for (const applet of ['sh', 'cat', 'echo', 'sleep', 'tail', 'true']) await symlink('busybox', join(dir, `root/bin/${applet}`));
  await writeFile(join(dir, 'root/etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(dir, 'root/etc/group'), 'root:x:0:\n');
  const tar = join(dir, 'rootfs.tar');
  ok(await runCmd('tar', ['-C', join(dir, 'root'), '-cf', tar, '.']), 'tar');
  ok(await docker(d, ['import', '-c', 'CMD ["/bin/sh"]', '-c', 'ENV PATH=/bin', tar, 'bb:v2']), 'import');
  return 'bb:v2';
}

const cgroupFile = (id: string, file: string): Promise<string> => readFile(join(CGROUP_ROOT, PARENT, id, file), 'utf8').then((s) => s.trim());

void test('skiffd on cgroup v2 through the docker CLI', { skip, timeout: 600_000 }, async (t) => {
  t.after(async () => { // the parent cgroup skiffd created (its containers' cgroups are gone by now)
    await rmdir(join(CGROUP_ROOT, PARENT)).catch(() => {});
  });
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': PARENT } });
  const img = await busyboxImage(t, d);
  assert.equal(ok(await docker(d, ['info', '-f', '{{.CgroupVersion}} {{.CgroupDriver}}']), 'info').trim(), '2 cgroupfs');

  await t.test('run --rm: exit codes; a private cgroup namespace (0::/)', async () => {
    const three = await docker(d, ['run', '--rm', ...NET, img, 'sh', '-c', 'cat /proc/self/cgroup; echo err >&2; exit 3']);
    assert.deepEqual([three.code, three.stdout, three.stderr], [3, '0::/\n', 'err\n']);
    const missing = await docker(d, ['run', '--rm', ...NET, img, 'nosuchcmd']);
    assert.equal(missing.code, 127, missing.stderr);
  });

  await t.test('--memory 32m: a memory hog is OOM-killed (137) and inspect says OOMKilled', async () => {
    // busybox tail buffers a line that never ends: it allocates until the limit bites.
    const oom = await docker(d, ['run', '--name', 'oom', '-m', '32m', '--memory-swap', '32m', ...NET, img, 'tail', '/dev/zero']);
    assert.equal(oom.code, 137, oom.stdout + oom.stderr);
    assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'oom']), 'inspect oom').trim(), 'true 137');
    ok(await docker(d, ['rm', 'oom']), 'rm oom');
  });

  await t.test('--pids-limit 10: fork is refused inside the container', async () => {
    const script = 'cat /sys/fs/cgroup/pids.max; i=0; while [ $i -lt 30 ]; do sleep 60 & i=$((i+1)); done; echo all-forked';
    const r = await docker(d, ['run', '--rm', '--pids-limit', '10', ...NET, img, 'sh', '-c', script]);
    assert.equal(r.stdout, '10\n', `pids.max seen inside, and not all-forked: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /can't fork/);
    assert.notEqual(r.code, 0);
  });

  // The long-lived container: it reads the kernel image (8 MiB or so, a file from the 9p host root
  // that nothing else in the VM reads) so its page cache is charged to the container as inactive_file.
  const boot = (await readdir('/boot')).find((f) => f.startsWith('vmlinuz-'));
  assert.ok(boot !== undefined, 'a /boot/vmlinuz-* (the VM boots it)');
  const id = ok(await docker(d, ['run', '-d', '--name', 'web', '-m', '64m', '--cpus', '0.5', '-v', '/boot:/hostboot:ro', ...NET, img,
    'sh', '-c', `cat /hostboot/${boot} >/dev/null; echo ready; exec sleep 100000`]), 'run -d').trim();
  for (let i = 0; !(await docker(d, ['logs', 'web'])).stdout.includes('ready'); i++) {
    assert.ok(i < 100, 'web did not print ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(await cgroupFile(id, 'memory.max'), String(64 * MiB));
  assert.equal(await cgroupFile(id, 'cpu.max'), '50000 100000');

  await t.test('stats: memory usage as docker computes it (memory.current − inactive_file) and the limit', async () => {
    const s = await apiGet(d.socket, '/containers/web/stats?stream=false&one-shot=true') as {
      memory_stats: { usage: number; limit: number; stats: Record<string, number> }; pids_stats: { current: number };
      cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number };
    };
    const m = s.memory_stats;
    const current = Number(await cgroupFile(id, 'memory.current'));
    assert.equal(m.limit, 64 * MiB);
    assert.ok(Math.abs(m.usage - current) < 2 * MiB, `usage ${m.usage}, memory.current ${current}`);
    const inactive = m.stats['inactive_file'];
    assert.ok(inactive !== undefined && inactive >= 4 * MiB, `inactive_file ${inactive} (the kernel image read into the page cache)`);
    assert.equal(s.pids_stats.current, 1);
    assert.ok(s.cpu_stats.cpu_usage.total_usage > 0 && s.cpu_stats.system_cpu_usage > 0, JSON.stringify(s.cpu_stats));

    const line = ok(await docker(d, ['stats', '--no-stream', '--format', '{{.MemUsage}}', 'web']), 'stats').trim();
    const [used = '', limit = ''] = line.split(' / ');
    assert.equal(parseBytes(limit), 64 * MiB, line);
    const shown = parseBytes(used);
    const expected = m.usage - inactive;
    assert.ok(Math.abs(shown - expected) < MiB && shown < m.usage - 2 * MiB, `stats shows ${used}; usage ${m.usage} − inactive_file ${inactive} = ${expected}`);
  });

  await t.test('update --memory: memory.max of the running container changes', async () => {
    ok(await docker(d, ['update', '--memory', '48m', 'web']), 'update');
    assert.equal(await cgroupFile(id, 'memory.max'), String(48 * MiB));
    // -m 64m means memory+swap 128m (docker's default, twice the limit); a new limit alone keeps that
    // total, as dockerd (which passes the merged resources) and runc do: swap alone is 128m − 48m.
    const swapMax = await cgroupFile(id, 'memory.swap.max').catch(() => undefined); // absent without swap accounting
    if (swapMax !== undefined) assert.equal(swapMax, String(80 * MiB));
    assert.equal(ok(await docker(d, ['inspect', '-f', '{{.HostConfig.Memory}}', 'web']), 'inspect').trim(), String(48 * MiB));
    assert.match(ok(await docker(d, ['stats', '--no-stream', '--format', '{{.MemUsage}}', 'web']), 'stats'), / \/ 48MiB\n$/);
  });

  await t.test('pause and unpause: cgroup.freeze and cgroup.events', async () => {
    ok(await docker(d, ['pause', 'web']), 'pause');
    assert.equal(await cgroupFile(id, 'cgroup.freeze'), '1');
    assert.match(await cgroupFile(id, 'cgroup.events'), /^frozen 1$/m);
    assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'web']), 'inspect').trim(), 'paused true');
    ok(await docker(d, ['unpause', 'web']), 'unpause');
    assert.equal(await cgroupFile(id, 'cgroup.freeze'), '0');
    assert.match(await cgroupFile(id, 'cgroup.events'), /^frozen 0$/m);
    assert.equal(ok(await docker(d, ['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'web']), 'inspect').trim(), 'running false');
  });

  await t.test('top: the processes of the container cgroup', async () => {
    const pid = ok(await docker(d, ['inspect', '-f', '{{.State.Pid}}', 'web']), 'inspect pid').trim();
    assert.equal(await cgroupFile(id, 'cgroup.procs'), pid);
    const top = ok(await docker(d, ['top', 'web']), 'top').trim().split('\n');
    assert.match(top[0] ?? '', /^UID\s+PID\s+PPID/);
    assert.equal(top.length, 2, top.join('\n'));
    assert.match(top[1] ?? '', new RegExp(`^\\S+\\s+${pid}\\s.*sleep 100000$`));
  });

  ok(await docker(d, ['rm', '-f', 'web']), 'rm -f');
  assert.deepEqual((await readdir(join(CGROUP_ROOT, PARENT), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name), [],
    'every container cgroup is removed');
  assert.equal(await d.stop(), 0, d.log());
});
