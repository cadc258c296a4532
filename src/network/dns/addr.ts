// Address helpers of networks and the embedded DNS: CIDR membership and arithmetic (IPv4 and IPv6),
// reverse names, and the host's resolvers from resolv.conf without the loopback ones a container
// cannot reach. [pure]

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

/** The address as a number (IPv4 in 32 bits, IPv6 in 128). */
export function ipToBigInt(ip: string): bigint {
  return ipFamily(ip) === 4 ? v4(ip) : v6(ip);
}

/** The number as an address of the family, IPv6 in its shortest form (RFC 5952). */
export function bigIntToIp(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** A CIDR's family, prefix length, and first and last addresses; undefined if it is not one. */
export function parseCidr(cidr: string): { family: 4 | 6; bits: number; first: bigint; last: bigint; address: bigint } | undefined {
  const [ip, bitsText, extra] = cidr.split('/');
  if (ip === undefined || bitsText === undefined || extra !== undefined || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const family = ipFamily(ip);
  if (family === 0) return undefined;
  const width = family === 4 ? 32 : 128;
  const bits = Number(bitsText);
  if (bits > width) return undefined;
  const address = ipToBigInt(ip);
  const host = (1n << BigInt(width - bits)) - 1n;
  return { family, bits, address, first: address & ~host & ((1n << BigInt(width)) - 1n), last: (address & ~host) | host };
}

/** Whether two CIDRs share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (x === undefined || y === undefined || x.family !== y.family) return false;
  return x.first <= y.last && y.first <= x.last;
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
