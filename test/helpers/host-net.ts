// Puts the host's packet filter and forwarding switch back as a test found them: every iptables rule
// and chain the test's CNI plugins added (portmap, firewall, masquerade) is removed again, and
// net.ipv4.ip_forward (which the bridge plugin turns on) is restored.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const TABLES = ['filter', 'nat', 'mangle'] as const;

export interface HostNetSnapshot {
  rules: Map<string, Set<string>>;
  chains: Map<string, Set<string>>;
  ipForward: string;
}

function dump(table: string): string[] {
  return execFileSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
}

/** The names of the host's network interfaces (`ip -o link`, without the `@peer` suffix). */
export function linkNames(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').filter((l) => l !== '').map((l) => l.split(': ')[1]!.split('@')[0]!);
}

export function snapshotHostNet(): HostNetSnapshot {
  const rules = new Map<string, Set<string>>();
  const chains = new Map<string, Set<string>>();
  for (const t of TABLES) {
    const lines = dump(t);
    rules.set(t, new Set(lines.filter((l) => l.startsWith('-A '))));
    chains.set(t, new Set(lines.filter((l) => l.startsWith('-N ')).map((l) => l.slice(3))));
  }
  return { rules, chains, ipForward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() };
}

/** Rules and chains present now that were not in the snapshot. */
export function addedSince(s: HostNetSnapshot): { rules: string[]; chains: string[] } {
  const rules: string[] = [];
  const chains: string[] = [];
  for (const t of TABLES) {
    const lines = dump(t);
    for (const l of lines) {
      if (l.startsWith('-A ') && !s.rules.get(t)!.has(l)) rules.push(`${t} ${l}`);
      if (l.startsWith('-N ') && !s.chains.get(t)!.has(l.slice(3))) chains.push(`${t} ${l.slice(3)}`);
    }
  }
  return { rules, chains };
}

/** `iptables -S` rule text → -D arguments (quoted words keep their spaces and escaped quotes). */
function ruleArgs(rule: string): string[] {
  return rule.slice(3).match(/"(?:[^"\\]|\\.)*"|\S+/g)!.map((a) => (a.startsWith('"') ? a.slice(1, -1).replace(/\\(.)/g, '$1') : a));
}

export function restoreHostNet(s: HostNetSnapshot): void {
  for (const t of TABLES) {
    const lines = dump(t);
    for (const l of lines.filter((x) => x.startsWith('-A ') && !s.rules.get(t)!.has(x))) {
      execFileSync('iptables', ['-t', t, '-D', ...ruleArgs(l)]);
    }
    for (const c of lines.filter((x) => x.startsWith('-N ')).map((x) => x.slice(3)).filter((c) => !s.chains.get(t)!.has(c))) {
      execFileSync('iptables', ['-t', t, '-F', c]);
    }
    for (const c of lines.filter((x) => x.startsWith('-N ')).map((x) => x.slice(3)).filter((c) => !s.chains.get(t)!.has(c))) {
      execFileSync('iptables', ['-t', t, '-X', c]);
    }
  }
  writeFileSync('/proc/sys/net/ipv4/ip_forward', s.ipForward);
}

/** What one test's daemon puts on the host: its bridge names and its address prefixes ("10.246.0."). */
export interface OwnedHostNet {
  bridges: readonly string[];
  prefixes: readonly string[];
}

/**
 * Removes only what a test's own daemon left on the host, so that it is safe while other tests run
 * theirs: the links that carry one of its addresses or bridge names (and the ports on those
 * bridges); the rules added since the snapshot that name one of its addresses, bridges or (in a
 * CNI comment) one of the containers those rules are about; the chains added since then that hold
 * nothing else and that no remaining rule jumps to, with the rules jumping to them. ip_forward goes
 * back only when nothing that anyone added since the snapshot is left.
 */
export function restoreOwnedHostNet(s: HostNetSnapshot, owned: OwnedHostNet): void {
  const addrs = execFileSync('ip', ['-o', 'addr', 'show'], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 3);
  const bridges = new Set([...owned.bridges, ...addrs.filter((f) => owned.prefixes.some((p) => f[3]!.startsWith(p))).map((f) => f[1]!)]);
  const present = linkNames();
  for (const br of [...bridges].filter((b) => present.includes(b))) {
    const ports = execFileSync('ip', ['-o', 'link', 'show', 'master', br], { encoding: 'utf8' }).split('\n').filter((l) => l !== '').map((l) => l.split(': ')[1]!.split('@')[0]!);
    for (const l of [...ports, br]) {
      try { execFileSync('ip', ['link', 'del', l], { stdio: 'ignore' }); } catch { /* gone with its peer */ }
    }
  }
  const jumpOf = (rule: string): string | undefined => /\s-[jg]\s+(\S+)/.exec(rule)?.[1];
  const chainOf = (rule: string): string => rule.split(/\s+/)[1]!;
  for (const t of TABLES) {
    const lines = dump(t);
    const rules = lines.filter((l) => l.startsWith('-A '));
    const added = new Set(rules.filter((l) => !s.rules.get(t)!.has(l)));
    const addedChains = new Set(lines.filter((l) => l.startsWith('-N ')).map((l) => l.slice(3)).filter((c) => !s.chains.get(t)!.has(c)));
    const names = (r: string): boolean => owned.prefixes.some((p) => r.includes(p)) || r.split(/\s+/).some((w) => bridges.has(w));
    const ids = new Set(rules.filter((r) => added.has(r) && names(r)).flatMap((r) => [...r.matchAll(/id: \\"([0-9a-f]{64})\\"/g)].map((m) => m[1]!)));
    const mine = (r: string): boolean => added.has(r) && (names(r) || [...ids].some((id) => r.includes(id)));
    // chains that hold only our rules or jumps to such chains, and that no staying rule jumps to
    const removable = new Set<string>();
    for (let changed = true; changed;) {
      changed = false;
      for (const c of addedChains) {
        if (removable.has(c)) continue;
        if (rules.filter((r) => chainOf(r) === c).every((r) => mine(r) || removable.has(jumpOf(r) ?? ''))) {
          removable.add(c);
          changed = true;
        }
      }
    }
    const goes = (r: string): boolean => mine(r) || removable.has(chainOf(r)) || (added.has(r) && removable.has(jumpOf(r) ?? '') && !addedChains.has(chainOf(r)));
    for (let changed = true; changed;) {
      changed = false;
      for (const c of [...removable]) {
        if (rules.some((r) => jumpOf(r) === c && !goes(r))) {
          removable.delete(c);
          changed = true;
        }
      }
    }
    // another test's cleanup may have removed a shared chain's rule meanwhile: not an error
    const run = (args: string[]): void => { try { execFileSync('iptables', ['-w', '-t', t, ...args], { stdio: 'ignore' }); } catch { /* gone already */ } };
    for (const r of rules.filter((x) => goes(x) && !removable.has(chainOf(x)))) run(['-D', ...ruleArgs(r)]);
    for (const c of removable) run(['-F', c]);
    for (const c of removable) run(['-X', c]);
  }
  const left = addedSince(s);
  if (left.rules.length + left.chains.length === 0) writeFileSync('/proc/sys/net/ipv4/ip_forward', s.ipForward);
}
