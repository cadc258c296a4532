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

export function restoreHostNet(s: HostNetSnapshot): void {
  for (const t of TABLES) {
    const lines = dump(t);
    for (const l of lines.filter((x) => x.startsWith('-A ') && !s.rules.get(t)!.has(x))) {
      const args = l.slice(3).match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"(.*)"$/, '$1'));
      execFileSync('iptables', ['-t', t, '-D', ...args]);
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
