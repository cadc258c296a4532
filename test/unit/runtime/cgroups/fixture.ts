// Fixture cgroup roots in a tmpdir (youki's set_fixture): directories with the files a driver reads
// and writes, and a mountinfo that places the hierarchies there.
import { mkdtemp, mkdir, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export async function tmpRoot(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-cg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function files(dir: string, content: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, value] of Object.entries(content)) await writeFile(join(dir, name), value);
}

export const read = (dir: string, name: string): Promise<string> => readFile(join(dir, name), 'utf8');

/** This host: separate v1 mounts per controller, name=systemd, cgroup2 at unified with hugetlb only. */
export function hybridMountinfo(root: string): string {
  const v1 = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'];
  return [
    `22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw`,
    `30 22 0:27 / ${root} rw,relatime - tmpfs tmpfs rw,mode=755`,
    ...v1.map((c, i) => `${31 + i} 30 0:${28 + i} / ${root}/${c} rw,relatime - cgroup cgroup rw,${c}`),
    `39 30 0:36 / ${root}/systemd rw,relatime - cgroup cgroup rw,name=systemd`,
    `40 30 0:37 / ${root}/unified rw,relatime - cgroup2 cgroup2 rw`,
    '',
  ].join('\n');
}

export const V1_FILES: Record<string, Record<string, string>> = {
  cpu: { 'cpu.shares': '1024\n', 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_burst_us': '0\n',
    'cpu.rt_period_us': '1000000\n', 'cpu.rt_runtime_us': '0\n', 'cpu.idle': '0\n', 'cpu.stat': 'nr_periods 10\nnr_throttled 3\nthrottled_time 5000\n' },
  cpuacct: { 'cpuacct.usage': '123456789\n', 'cpuacct.stat': 'user 12\nsystem 3\n', 'cpuacct.usage_percpu': '100000000 23456789 \n' },
  cpuset: { 'cpuset.cpus': '', 'cpuset.mems': '' },
  memory: { 'memory.limit_in_bytes': '9223372036854771712\n', 'memory.memsw.limit_in_bytes': '9223372036854771712\n',
    'memory.soft_limit_in_bytes': '9223372036854771712\n', 'memory.swappiness': '60\n', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
    'memory.usage_in_bytes': '4096000\n', 'memory.max_usage_in_bytes': '8192000\n', 'memory.failcnt': '7\n',
    'memory.memsw.usage_in_bytes': '5000000\n', 'memory.stat': 'cache 1000\nrss 2000\ntotal_inactive_file 300\n',
    'memory.kmem.limit_in_bytes': '9223372036854771712\n' },
  devices: { 'devices.allow': '', 'devices.deny': '' },
  freezer: { 'freezer.state': 'THAWED\n' },
  blkio: { 'blkio.weight': '500\n', 'blkio.weight_device': '', 'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '',
    'blkio.throttle.read_iops_device': '', 'blkio.throttle.write_iops_device': '',
    'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n',
    'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n8:0 Write 2\nTotal 3\n' },
  pids: { 'pids.max': 'max\n', 'pids.current': '3\n' },
};

/** A hybrid fixture: every v1 controller's directory for `path` (and its root), cgroup.procs, unified. */
export async function hybridFixture(root: string, path: string): Promise<string> {
  for (const [c, content] of Object.entries(V1_FILES)) {
    await files(join(root, c), { 'cgroup.procs': '', ...content, ...(c === 'cpuset' ? { 'cpuset.cpus': '0-1\n', 'cpuset.mems': '0\n' } : {}) });
    await files(join(root, c, path), { 'cgroup.procs': '', ...content });
  }
  await files(join(root, 'unified'), { 'cgroup.controllers': 'hugetlb\n', 'cgroup.subtree_control': '\n', 'cgroup.procs': '' });
  const mountinfo = join(root, 'mountinfo');
  await writeFile(mountinfo, hybridMountinfo(root));
  return mountinfo;
}
