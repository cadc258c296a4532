// Isolation between bridge networks, as dockerd's DOCKER-ISOLATION-STAGE-1/2 chains: the CNI
// firewall plugin accepts any traffic from a container's address in FORWARD, so without these rules
// a container could reach another network's containers through the host. Stage 1 sends what leaves
// a network's bridge for somewhere else to stage 2, which drops it if it enters another network's
// bridge; an --internal network drops everything crossing its bridge in either direction. The chains
// are shared by every skiffd on the host (each adds and removes the rules of its own bridges), so
// two daemons' networks are isolated from each other as well. No CNI plugin does this; it is a
// handful of iptables rules, applied with -C before -A so that it is idempotent.

import { execFile } from 'node:child_process';
import { SkiffError } from '../base/index.js';

export const ISOLATION_STAGE_1 = 'SKIFF-ISOLATION-STAGE-1';
export const ISOLATION_STAGE_2 = 'SKIFF-ISOLATION-STAGE-2';

type Family = 4 | 6;

function iptables(family: Family, args: readonly string[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(family === 4 ? 'iptables' : 'ip6tables', ['-w', '-t', 'filter', ...args], (err, _stdout, stderr) => {
      if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new SkiffError('FailedPrecondition', `${family === 4 ? 'iptables' : 'ip6tables'} is not installed: network isolation needs it`));
        return;
      }
      resolve({ ok: err === null, stderr });
    });
  });
}

async function ensureRule(family: Family, chain: string, rule: readonly string[], position?: number): Promise<void> {
  if ((await iptables(family, ['-C', chain, ...rule])).ok) return;
  const r = await iptables(family, position === undefined ? ['-A', chain, ...rule] : ['-I', chain, String(position), ...rule]);
  if (!r.ok) throw new SkiffError('Internal', `iptables: adding "${[chain, ...rule].join(' ')}" failed: ${r.stderr.trim()}`);
}

async function deleteRule(family: Family, chain: string, rule: readonly string[]): Promise<void> {
  // -D removes one copy; loop in case two daemons' restarts left duplicates
  for (let i = 0; i < 4 && (await iptables(family, ['-D', chain, ...rule])).ok; i++) { /* removed one */ }
}

async function ensureChains(family: Family): Promise<void> {
  for (const chain of [ISOLATION_STAGE_1, ISOLATION_STAGE_2]) {
    if (!(await iptables(family, ['-n', '-L', chain])).ok) {
      const r = await iptables(family, ['-N', chain]);
      if (!r.ok && !/exists/i.test(r.stderr)) throw new SkiffError('Internal', `iptables: creating chain ${chain} failed: ${r.stderr.trim()}`);
    }
  }
  // first in FORWARD: ahead of the CNI plugins' and docker's accepts
  await ensureRule(family, 'FORWARD', ['-j', ISOLATION_STAGE_1], 1);
}

function bridgeRules(bridge: string, internal: boolean): [chain: string, rule: string[]][] {
  const rules: [string, string[]][] = [];
  if (internal) {
    rules.push([ISOLATION_STAGE_1, ['-i', bridge, '!', '-o', bridge, '-j', 'DROP']]);
    rules.push([ISOLATION_STAGE_1, ['!', '-i', bridge, '-o', bridge, '-j', 'DROP']]);
  } else {
    rules.push([ISOLATION_STAGE_1, ['-i', bridge, '!', '-o', bridge, '-j', ISOLATION_STAGE_2]]);
  }
  rules.push([ISOLATION_STAGE_2, ['-o', bridge, '-j', 'DROP']]);
  return rules;
}

/** Installs the isolation rules of one network's bridge (IPv4, and IPv6 when it has IPv6). */
export async function isolateBridge(bridge: string, opts: { internal: boolean; ipv6: boolean }): Promise<void> {
  for (const family of opts.ipv6 ? [4, 6] as const : [4] as const) {
    await ensureChains(family);
    for (const [chain, rule] of bridgeRules(bridge, opts.internal)) await ensureRule(family, chain, rule);
  }
}

/** Removes them again (network rm). */
export async function unisolateBridge(bridge: string, opts: { internal: boolean; ipv6: boolean }): Promise<void> {
  for (const family of opts.ipv6 ? [4, 6] as const : [4] as const) {
    for (const [chain, rule] of bridgeRules(bridge, opts.internal)) await deleteRule(family, chain, rule);
  }
}
