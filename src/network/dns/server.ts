// The embedded DNS server of user-defined networks (docker's 127.0.0.11 resolver, podman's
// aardvark-dns): it answers A/AAAA/PTR for the names of containers on the network (name, aliases, id
// prefixes — the caller's lookup decides) and forwards every other question to the host's
// resolvers. It listens where the containers look (the network's gateway address, UDP and TCP) and
// refuses clients outside the network's subnets, so it answers only inside its network.

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import { SkiffError } from '../../base/index.js';
import { ipInCidr, reverseName } from './addr.js';

export interface DnsAnswer {
  a: string[];
  aaaa: string[];
}

export interface EmbeddedDnsOptions {
  /** Addresses to listen on (UDP and TCP), e.g. the network's gateway. */
  listen: readonly string[];
  /** Port; 53 unless a test picks another. */
  port?: number;
  /** Clients must be in one of these CIDRs; others get REFUSED. */
  allowedSubnets: readonly string[];
  /** Names known on the network, case-insensitive, without the trailing dot; undefined: not ours. */
  lookup: (name: string, client: string) => DnsAnswer | undefined;
  /** Reverse lookups of the network's addresses: the container name for an IP. */
  reverse?: (ip: string) => string | undefined;
  /** Resolvers for everything else (host:port); none: SERVFAIL, as docker answers without any. */
  upstreams: readonly { host: string; port: number }[];
  /** A client's own resolvers (a container's --dns), instead of `upstreams`. */
  upstreamsFor?: (client: string) => readonly { host: string; port: number }[] | undefined;
  /** TTL of our own answers, seconds. docker uses 600. */
  ttl?: number;
  upstreamTimeoutMs?: number;
}

type Packet = dnsPacket.Packet;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export class EmbeddedDns {
  private readonly udp: UdpSocket[] = [];
  private readonly tcp: Server[] = [];
  private readonly conns = new Set<Socket>();

  constructor(private readonly opts: EmbeddedDnsOptions) {}

  /** The port actually bound (when `port` was 0). */
  get port(): number {
    return this.udp[0]?.address().port ?? this.opts.port ?? 53;
  }

  async start(): Promise<void> {
    try {
      let port = this.opts.port ?? 53;
      for (const address of this.opts.listen) {
        const family = address.includes(':') ? 'udp6' : 'udp4';
        const sock = createSocket(family);
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.bind(port, address, () => {
            sock.removeListener('error', reject);
            resolve();
          });
        });
        port = sock.address().port; // with port 0, TCP takes the same one
        sock.on('message', (msg, rinfo) => void this.onUdp(sock, msg, rinfo));
        sock.on('error', () => {});
        this.udp.push(sock);
        const server = createServer((conn) => this.onTcp(conn));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, address, () => {
            server.removeListener('error', reject);
            resolve();
          });
        });
        this.tcp.push(server);
      }
    } catch (err) {
      this.close();
      throw new SkiffError('Unavailable', `embedded DNS: cannot listen on ${this.opts.listen.join(', ')}: ${(err as Error).message}`, { cause: err });
    }
  }

  close(): void {
    for (const s of this.udp.splice(0)) s.close();
    for (const s of this.tcp.splice(0)) s.close();
    for (const c of this.conns) c.destroy();
    this.conns.clear();
  }

  private async onUdp(sock: UdpSocket, msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    const reply = await this.answer(msg, rinfo.address);
    if (reply !== undefined) sock.send(reply, rinfo.port, rinfo.address);
  }

  /** TCP: every message is preceded by its length (RFC 1035 4.2.2). */
  private onTcp(conn: Socket): void {
    this.conns.add(conn);
    conn.on('close', () => this.conns.delete(conn));
    conn.on('error', () => {});
    let buf = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(Buffer.from(msg), conn.remoteAddress ?? '').then((reply) => {
          if (reply === undefined || conn.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          conn.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  private async answer(msg: Buffer, client: string): Promise<Buffer | undefined> {
    let query: Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined; // not DNS: no answer
    }
    const q = query.questions?.[0];
    const plainClient = client.replace(/^::ffff:/, '');
    if (!this.opts.allowedSubnets.some((cidr) => ipInCidr(plainClient, cidr))) return this.reply(query, 'REFUSED', []);
    if (q === undefined || query.type !== 'query') return this.reply(query, 'FORMERR', []);
    const name = q.name.replace(/\.$/, '').toLowerCase();
    const ttl = this.opts.ttl ?? 600;
    if (q.type === 'PTR' && this.opts.reverse !== undefined) {
      const ip = reverseName(name);
      const target = ip === undefined ? undefined : this.opts.reverse(ip);
      if (target !== undefined) return this.reply(query, 'NOERROR', [{ type: 'PTR', name: q.name, ttl, data: target }]);
    }
    const known = this.opts.lookup(name, plainClient);
    if (known !== undefined) {
      // a name of the network without records of the asked type is NODATA, not forwarded
      const answers: dnsPacket.Answer[] = [];
      const type: string = q.type;
      if (type === 'A' || type === 'ANY') for (const ip of known.a) answers.push({ type: 'A', name: q.name, ttl, data: ip });
      if (type === 'AAAA' || type === 'ANY') for (const ip of known.aaaa) answers.push({ type: 'AAAA', name: q.name, ttl, data: ip });
      return this.reply(query, 'NOERROR', answers);
    }
    return (await this.forward(msg, this.opts.upstreamsFor?.(plainClient) ?? this.opts.upstreams)) ?? this.reply(query, 'SERVFAIL', []);
  }

  private reply(query: Packet, rcode: keyof typeof RCODE, answers: dnsPacket.Answer[]): Buffer {
    // dns-packet carries the rcode in the low 4 bits of the flags
    const flags = dnsPacket.RECURSION_AVAILABLE | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) |
      (rcode === 'NOERROR' ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | RCODE[rcode];
    return dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags,
      questions: query.questions ?? [],
      answers,
    } as Packet);
  }

  /** The upstreams in turn over UDP; the first answer is relayed as it came. */
  private async forward(msg: Buffer, upstreams: readonly { host: string; port: number }[]): Promise<Buffer | undefined> {
    for (const up of upstreams) {
      const reply = await new Promise<Buffer | undefined>((resolve) => {
        const sock = createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
        const timer = setTimeout(() => done(undefined), this.opts.upstreamTimeoutMs ?? 2000);
        const done = (b: Buffer | undefined): void => {
          clearTimeout(timer);
          sock.close();
          resolve(b);
        };
        sock.on('error', () => done(undefined));
        sock.on('message', (b) => done(b));
        sock.send(msg, up.port, up.host);
      });
      if (reply !== undefined) return reply;
    }
    return undefined;
  }
}
