// Address helpers for the embedded DNS: CIDR membership (IPv4 and IPv6), reverse names, and the
// host's resolvers from resolv.conf without the loopback ones a container cannot reach. [pure]

/** 4, 6 or 0, as node:net's isIP (kept here so the module stays pure). */
export function ipFamily(ip: string): 0 | 4 | 6 {
  if (/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(ip)) return 4;
  if (/^[0-9a-fA-F:]+$/.test(ip) && ip.includes(':') && (ip.match(/::/g) ?? []).length <= 1) return 6;
  return 0;
}

function v4(ip: string): bigint {
  return ip.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function v6(ip: string): bigint {
  const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Whether `ip` lies in `cidr` (same family only). */
export function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/') as [string, string | undefined];
  const family = ipFamily(ip);
  if (family === 0 || family !== ipFamily(net)) return false;
  const width = family === 4 ? 32n : 128n;
  const bits = BigInt(bitsText === undefined ? Number(width) : Number(bitsText));
  const toInt = family === 4 ? v4 : v6;
  const mask = bits === 0n ? 0n : ((1n << bits) - 1n) << (width - bits);
  return (toInt(ip) & mask) === (toInt(net) & mask);
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; undefined for anything else. */
export function reverseName(name: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
  return m === null ? undefined : `${m[4]}.${m[3]}.${m[2]}.${m[1]}`;
}

/** Nameservers of a resolv.conf, minus loopback ones (unreachable from a container's namespace). */
export function upstreamsFromResolvConf(text: string): { host: string; port: number }[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] === 'nameserver' && f[1] !== undefined && ipFamily(f[1]) !== 0)
    .map((f) => f[1]!)
    .filter((ip) => !ipInCidr(ip, '127.0.0.0/8') && ip !== '::1')
    .map((host) => ({ host, port: 53 }));
}
