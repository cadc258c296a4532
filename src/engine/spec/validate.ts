// Docker's create-time checks of Config and HostConfig (moby daemon/container.go
// verifyContainerSettings, daemon_unix.go verifyPlatformContainerSettings/Resources,
// runconfig validation), with docker's texts. Errors are InvalidArgument naming the field.

import { availableParallelism } from 'node:os';
import { invalidArgument } from '../../base/index.js';
import type { ContainerConfig, HostConfig } from './types.js';

const MIN_MEMORY = 6 * 1024 * 1024;
const RESTART_POLICIES = ['', 'no', 'always', 'on-failure', 'unless-stopped'];

function fail(field: string, message: string): never {
  throw invalidArgument(message, { field });
}

function isAbs(p: string): boolean {
  return p.startsWith('/');
}

function validNamespaceMode(mode: string, allowShareable: boolean): boolean {
  if (mode === '' || mode === 'host' || mode === 'private') return true;
  if (allowShareable && (mode === 'shareable' || mode === 'none')) return true;
  if (mode.startsWith('container:')) return mode.length > 'container:'.length;
  return false;
}

/** Docker's validation of HostConfig (and the Config fields it checks at create); returns docker's warnings. */
export function validateHostConfig(hc: HostConfig, config: ContainerConfig, opts: { cpus?: number } = {}): string[] {
  const warnings: string[] = [];
  const wd = config.WorkingDir ?? '';
  if (wd !== '' && !isAbs(wd)) fail('Config.WorkingDir', `the working directory '${wd}' is invalid, it needs to be an absolute path`);
  const hcheck = config.Healthcheck;
  if (hcheck !== undefined && hcheck !== null) {
    const ms = 1_000_000;
    if ((hcheck.Interval ?? 0) !== 0 && hcheck.Interval! < ms) fail('Config.Healthcheck.Interval', 'Interval in Healthcheck cannot be less than 1ms');
    if ((hcheck.Timeout ?? 0) !== 0 && hcheck.Timeout! < ms) fail('Config.Healthcheck.Timeout', 'Timeout in Healthcheck cannot be less than 1ms');
    if ((hcheck.Retries ?? 0) < 0) fail('Config.Healthcheck.Retries', 'Retries in Healthcheck cannot be negative');
    if ((hcheck.StartPeriod ?? 0) !== 0 && hcheck.StartPeriod! < ms) fail('Config.Healthcheck.StartPeriod', 'StartPeriod in Healthcheck cannot be less than 1ms');
  }
  for (const [i, m] of (hc.Mounts ?? []).entries()) {
    if ((m.Target ?? '') === '') fail(`HostConfig.Mounts[${i}].Target`, 'invalid mount config: Target must not be empty');
    if (!isAbs(m.Target!)) fail(`HostConfig.Mounts[${i}].Target`, `invalid mount config for type "${m.Type ?? ''}": invalid mount path: '${m.Target!}' mount path must be absolute`);
  }
  const rp = hc.RestartPolicy ?? {};
  const rpName = rp.Name ?? '';
  if (!RESTART_POLICIES.includes(rpName)) {
    fail('HostConfig.RestartPolicy.Name', `invalid restart policy: unknown policy '${rpName}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if ((rp.MaximumRetryCount ?? 0) !== 0 && rpName !== 'on-failure') {
    fail('HostConfig.RestartPolicy.MaximumRetryCount', "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  }
  if ((rp.MaximumRetryCount ?? 0) < 0) fail('HostConfig.RestartPolicy.MaximumRetryCount', 'invalid restart policy: maximum retry count cannot be negative');
  if (hc.AutoRemove === true && rpName !== '' && rpName !== 'no') {
    fail('HostConfig.AutoRemove', "can't create 'AutoRemove' container with restart policy");
  }
  if (!validNamespaceMode(hc.IpcMode ?? '', true)) fail('HostConfig.IpcMode', `invalid IPC mode: ${hc.IpcMode ?? ''}`);
  if (!validNamespaceMode(hc.PidMode ?? '', false)) fail('HostConfig.PidMode', `invalid PID mode: ${hc.PidMode ?? ''}`);
  const uts = hc.UTSMode ?? '';
  if (uts !== '' && uts !== 'host') fail('HostConfig.UTSMode', `invalid UTS mode: ${uts}`);
  const cgns = hc.CgroupnsMode ?? '';
  if (cgns !== '' && cgns !== 'host' && cgns !== 'private') fail('HostConfig.CgroupnsMode', `invalid cgroup namespace mode: ${cgns}`);
  if (uts === 'host' && (config.Hostname ?? '') !== '') {
    fail('HostConfig.UTSMode', 'conflicting options: hostname and the UTS mode');
  }
  if ((hc.NetworkMode ?? '') === 'host' && Object.keys(hc.PortBindings ?? {}).length > 0) {
    warnings.push('Published ports are discarded when using host network mode');
  }
  if ((hc.ShmSize ?? 0) < 0) fail('HostConfig.ShmSize', 'SHM size can not be less than 0');
  const oom = hc.OomScoreAdj ?? 0;
  if (oom < -1000 || oom > 1000) fail('HostConfig.OomScoreAdj', `Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  // resources (verifyPlatformContainerResources)
  const mem = hc.Memory ?? 0;
  const swap = hc.MemorySwap ?? 0;
  const resv = hc.MemoryReservation ?? 0;
  if (mem !== 0 && mem < MIN_MEMORY) fail('HostConfig.Memory', 'Minimum memory limit allowed is 6MB');
  if (mem > 0 && swap > 0 && swap < mem) fail('HostConfig.MemorySwap', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  if (mem === 0 && swap > 0) fail('HostConfig.MemorySwap', 'You should always set the Memory limit when using Memoryswap limit, see usage');
  const swappiness = hc.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    fail('HostConfig.MemorySwappiness', `Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if (mem > 0 && resv > 0 && resv > mem) fail('HostConfig.MemoryReservation', 'Minimum memory limit can not be less than memory reservation limit, see usage');
  if (resv !== 0 && resv < MIN_MEMORY) fail('HostConfig.MemoryReservation', 'Minimum memory reservation allowed is 6MB');
  if (hc.OomKillDisable === true && mem === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  const nano = hc.NanoCpus ?? 0;
  if (nano > 0 && (hc.CpuPeriod ?? 0) > 0) fail('HostConfig.NanoCpus', 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (hc.CpuQuota ?? 0) > 0) fail('HostConfig.NanoCpus', 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  const ncpu = opts.cpus ?? availableParallelism();
  if (nano < 0 || nano > ncpu * 1e9) {
    fail('HostConfig.NanoCpus', `Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
  }
  if ((hc.CpuShares ?? 0) < 0) fail('HostConfig.CpuShares', 'shares: invalid argument');
  const period = hc.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    fail('HostConfig.CpuPeriod', 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  const quota = hc.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) fail('HostConfig.CpuQuota', 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  const bw = hc.BlkioWeight ?? 0;
  if (bw > 0 && (bw < 10 || bw > 1000)) fail('HostConfig.BlkioWeight', 'Range of blkio weight is from 10 to 1000');
  for (const [i, u] of (hc.Ulimits ?? []).entries()) {
    if (u.Soft > u.Hard && u.Hard !== -1) fail(`HostConfig.Ulimits[${i}]`, `ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
  for (const [i, opt] of (hc.SecurityOpt ?? []).entries()) {
    const [key] = opt.includes('=') ? opt.split('=', 1) : opt.split(':', 1);
    const known = ['label', 'apparmor', 'seccomp', 'no-new-privileges', 'systempaths', 'writable-cgroups'];
    if (!known.includes(key!)) fail(`HostConfig.SecurityOpt[${i}]`, `invalid --security-opt 2: "${opt}"`);
  }
  return warnings;
}
