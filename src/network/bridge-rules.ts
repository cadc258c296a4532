// The packet-filter rules of a bridge network, one set per network as dockerd keeps them (not one
// per container, as the CNI bridge plugin's ipMasq and the firewall plugin make them: deleting an
// iptables rule costs 11–14 ms on the nf_tables backend, and those per-container rules were half of
// a bridged `run --rm`; docs/benchmarks.md):
// - filter SKIFF-FORWARD, jumped to first in FORWARD: first the isolation between bridges (dockerd's
//   DOCKER-ISOLATION-STAGE-1/2: what leaves a network's bridge for another network's bridge is
//   dropped; an --internal network drops whatever crosses its bridge), then the accepts that let a
//   network's traffic through a FORWARD policy of DROP (a host where dockerd has run): out of the
//   bridge, replies into it, and connections DNATed to it (published ports);
// - nat SKIFF-POSTROUTING, jumped to from POSTROUTING: masquerade of what leaves the subnet through
//   another interface (not for --internal networks).
// The chains are shared by every skiffd on the host (each adds and removes its own bridges' rules),
// so two daemons' networks are isolated from each other too. Rules are added with -C before -A, so
// installing is idempotent; no text is parsed.

import { execFile } from 'node:child_process';
import { SkiffError } from '../base/index.js';

export const FORWARD_CHAIN = 'SKIFF-FORWARD';
export const ISOLATION_STAGE_1 = 'SKIFF-ISOLATION-STAGE-1';
export const ISOLATION_STAGE_2 = 'SKIFF-ISOLATION-STAGE-2';
export const POSTROUTING_CHAIN = 'SKIFF-POSTROUTING';

type Family = 4 | 6;
type Table = 'filter' | 'nat';

export interface BridgeRuleSet {
  bridge: string;
  /** The network's subnets (IPv4 and, with IPv6, the IPv6 one). */
  subnets: readonly string[];
  internal: boolean;
}

function iptables(family: Family, table: Table, args: readonly string[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(family === 4 ? 'iptables' : 'ip6tables', ['-w', '-t', table, ...args], (err, _stdout, stderr) => {
      if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new SkiffError('FailedPrecondition', `${family === 4 ? 'iptables' : 'ip6tables'} is not installed: bridge networks need it`));
        return;
      }
      resolve({ ok: err === null, stderr });
    });
  });
}

async function ensureRule(family: Family, table: Table, chain: string, rule: readonly string[], position?: number): Promise<void> {
  if ((await iptables(family, table, ['-C', chain, ...rule])).ok) return;
  const r = await iptables(family, table, position === undefined ? ['-A', chain, ...rule] : ['-I', chain, String(position), ...rule]);
  if (!r.ok) throw new SkiffError('Internal', `iptables: adding "${[chain, ...rule].join(' ')}" to ${table} failed: ${r.stderr.trim()}`);
}

async function deleteRule(family: Family, table: Table, chain: string, rule: readonly string[]): Promise<void> {
  // -D removes one copy; loop in case two daemons' restarts left duplicates
  for (let i = 0; i < 4 && (await iptables(family, table, ['-D', chain, ...rule])).ok; i++) { /* removed one */ }
}

async function ensureChain(family: Family, table: Table, chain: string): Promise<void> {
  if ((await iptables(family, table, ['-n', '-L', chain])).ok) return;
  const r = await iptables(family, table, ['-N', chain]);
  if (!r.ok && !/exists/i.test(r.stderr)) throw new SkiffError('Internal', `iptables: creating chain ${chain} in ${table} failed: ${r.stderr.trim()}`);
}

async function ensureChains(family: Family): Promise<void> {
  for (const chain of [FORWARD_CHAIN, ISOLATION_STAGE_1, ISOLATION_STAGE_2]) await ensureChain(family, 'filter', chain);
  await ensureChain(family, 'nat', POSTROUTING_CHAIN);
  // isolation before the accepts, whatever order the rules were added in
  await ensureRule(family, 'filter', FORWARD_CHAIN, ['-j', ISOLATION_STAGE_1], 1);
  // first in FORWARD: ahead of docker's chains and their policy
  await ensureRule(family, 'filter', 'FORWARD', ['-j', FORWARD_CHAIN], 1);
  await ensureRule(family, 'nat', 'POSTROUTING', ['-j', POSTROUTING_CHAIN]);
}

function familyOf(cidr: string): Family {
  return cidr.includes(':') ? 6 : 4;
}

function rulesOf(n: BridgeRuleSet, family: Family): [Table, string, string[]][] {
  const br = n.bridge;
  const rules: [Table, string, string[]][] = [];
  if (n.internal) {
    rules.push(['filter', ISOLATION_STAGE_1, ['-i', br, '!', '-o', br, '-j', 'DROP']]);
    rules.push(['filter', ISOLATION_STAGE_1, ['!', '-i', br, '-o', br, '-j', 'DROP']]);
  } else {
    rules.push(['filter', ISOLATION_STAGE_1, ['-i', br, '!', '-o', br, '-j', ISOLATION_STAGE_2]]);
  }
  rules.push(['filter', ISOLATION_STAGE_2, ['-o', br, '-j', 'DROP']]);
  rules.push(['filter', FORWARD_CHAIN, ['-i', br, '-j', 'ACCEPT']]);
  rules.push(['filter', FORWARD_CHAIN, ['-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'ACCEPT']]);
  if (!n.internal) {
    for (const subnet of n.subnets.filter((s) => familyOf(s) === family)) {
      rules.push(['nat', POSTROUTING_CHAIN, ['-s', subnet, '!', '-o', br, '-j', 'MASQUERADE']]);
    }
  }
  return rules;
}

function families(n: BridgeRuleSet): Family[] {
  return n.subnets.some((s) => familyOf(s) === 6) ? [4, 6] : [4];
}

/** Installs a network's rules (with its first container). */
export async function installBridgeRules(n: BridgeRuleSet): Promise<void> {
  for (const family of families(n)) {
    await ensureChains(family);
    for (const [table, chain, rule] of rulesOf(n, family)) await ensureRule(family, table, chain, rule);
  }
}

/** Removes them again (network rm). */
export async function removeBridgeRules(n: BridgeRuleSet): Promise<void> {
  for (const family of families(n)) {
    for (const [table, chain, rule] of rulesOf(n, family)) await deleteRule(family, table, chain, rule);
  }
}
