// The embedded DNS server: names of the network answered (A, AAAA as NODATA, PTR), others forwarded
// to an upstream (a second instance on loopback: no traffic leaves the host), clients outside the
// network refused, UDP and TCP; and from inside a network namespace on a CNI bridge, busybox
// nslookup against the gateway address finds a container by name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { CniRunner, EmbeddedDns, bridgeConflist } from '../../../src/network/index.js';
import { createPinnedNetns, removePinnedNetns } from '../../../src/sys/index.js';
import { cleanupFor, type Cleanup } from '../../helpers/cleanup.js';
import { restoreHostNet, snapshotHostNet } from '../../helpers/host-net.js';

const rootOnly = process.getuid?.() !== 0 ? 'needs root' : false;

async function startDns(cleanup: Cleanup, opts: Partial<ConstructorParameters<typeof EmbeddedDns>[0]>): Promise<EmbeddedDns> {
  const names: Record<string, { a: string[]; aaaa: string[] }> = { web: { a: ['10.1.2.3'], aaaa: [] }, 'web.alias': { a: ['10.1.2.3'], aaaa: [] } };
  const dns = new EmbeddedDns({
    listen: ['127.0.0.1'], port: 0, allowedSubnets: ['127.0.0.0/8'], upstreams: [],
    lookup: (name) => names[name], reverse: (ip) => (ip === '10.1.2.3' ? 'web' : undefined),
    ...opts,
  });
  await dns.start();
  cleanup.add(() => dns.close(), 'close dns');
  return dns;
}

type Reply = dnsPacket.Packet & { rcode?: string };

function ask(port: number, name: string, type: dnsPacket.RecordType, id = 7): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('no answer'));
    }, 5000);
    sock.on('message', (b) => {
      clearTimeout(timer);
      sock.close();
      resolve(dnsPacket.decode(b));
    });
    sock.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }), port, '127.0.0.1');
  });
}

test('answers the network\'s names, NODATA for a missing type, PTR, case-insensitive', async (t) => {
  const cleanup = cleanupFor(t);
  const dns = await startDns(cleanup, {});
  const a = await ask(dns.port, 'WEB', 'A', 42);
  assert.equal(a.id, 42);
  assert.equal(a.rcode, 'NOERROR');
  assert.deepEqual(a.answers?.map((x) => (x as { data: string }).data), ['10.1.2.3']);
  const aaaa = await ask(dns.port, 'web', 'AAAA');
  assert.equal(aaaa.rcode, 'NOERROR');
  assert.deepEqual(aaaa.answers, []);
  const ptr = await ask(dns.port, '3.2.1.10.in-addr.arpa', 'PTR');
  assert.deepEqual(ptr.answers?.map((x) => (x as { data: string }).data), ['web']);
  // no upstream: other names fail as docker's resolver does without one
  assert.equal((await ask(dns.port, 'elsewhere.example', 'A')).rcode, 'SERVFAIL');
});

test('forwards other names upstream; refuses clients outside the network; TCP too', async (t) => {
  const cleanup = cleanupFor(t);
  const upstream = await startDns(cleanup, { lookup: (n) => (n === 'ext.example' ? { a: ['192.0.2.7'], aaaa: [] } : undefined) });
  const dns = await startDns(cleanup, { upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
  const fwd = await ask(dns.port, 'ext.example', 'A');
  assert.deepEqual(fwd.answers?.map((x) => (x as { data: string }).data), ['192.0.2.7']);
  const closed = await startDns(cleanup, { allowedSubnets: ['10.0.0.0/8'] });
  assert.equal((await ask(closed.port, 'web', 'A')).rcode, 'REFUSED', 'a client outside the network gets nothing');
  const tcpAnswer = await new Promise<dnsPacket.Packet>((resolve, reject) => {
    const q = dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'web.alias' }] });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    const sock = connect({ host: '127.0.0.1', port: dns.port }, () => sock.write(Buffer.concat([len, q])));
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.destroy();
        resolve(dnsPacket.decode(buf.subarray(2)));
      }
    });
    sock.on('error', reject);
  });
  assert.deepEqual(tcpAnswer.answers?.map((x) => (x as { data: string }).data), ['10.1.2.3']);
});

test('inside a network namespace: nslookup against the gateway finds a container by name', { skip: rootOnly || (!existsSync('/usr/lib/cni/bridge') && 'no CNI plugins') }, async (t) => {
  const cleanup = cleanupFor(t);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-dns-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  const host = snapshotHostNet();
  cleanup.add(() => restoreHostNet(host));
  const bridge = `skd${randomBytes(3).toString('hex')}`;
  cleanup.add(() => {
    try {
      execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    } catch {
      // not created
    }
  });
  const prefix = `10.${200 + randomBytes(1)[0]! % 50}.${randomBytes(1)[0]}`;
  const list = bridgeConflist({ name: `skiff-dns-${bridge}`, bridge, subnet: `${prefix}.0/24`, ipamDataDir: join(dir, 'ipam') });
  const runner = new CniRunner({ cacheDir: join(dir, 'cache') });
  const netns = join(dir, 'ns');
  await createPinnedNetns(netns);
  cleanup.add(() => removePinnedNetns(netns));
  const att = { containerId: `d${randomBytes(8).toString('hex')}`, netns, ifName: 'eth0' };
  cleanup.add(() => runner.del(list, att));
  await runner.add(list, att);
  const gateway = `${prefix}.1`;
  await startDns(cleanup, { listen: [gateway], port: 53, allowedSubnets: [`${prefix}.0/24`], lookup: (n) => (n === 'db' ? { a: [`${prefix}.77`], aaaa: [] } : undefined) });
  // async: the server answers from this process's event loop
  const { stdout: out } = await promisify(execFile)('nsenter', [`--net=${netns}`, 'busybox', 'nslookup', '-type=a', 'db', gateway], { encoding: 'utf8', timeout: 15_000 });
  assert.match(out, new RegExp(`Address:\\s+${prefix.replace(/\./g, '\\.')}\\.77`), out);
});
