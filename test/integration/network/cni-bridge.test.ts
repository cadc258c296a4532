// The CNI runner with Debian's plugins on a bridge network, in network namespaces the test pins:
// addresses from host-local, traffic between two namespaces and to the gateway, a published port
// reached from the host on 127.0.0.1, results cached for DEL, and DEL leaving no veth, lease or
// iptables rule behind. Traffic only between these namespaces and loopback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniRunner, bridgeConflist, type NetworkConfigList } from '../../../src/network/index.js';
import { createPinnedNetns, removePinnedNetns } from '../../../src/sys/index.js';
import { cleanupFor, killPid, type Cleanup } from '../../helpers/cleanup.js';
import { addedSince, restoreHostNet, snapshotHostNet } from '../../helpers/host-net.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/lib/cni/bridge') ? 'containernetworking-plugins missing' : false;

function inNetns(netns: string, args: string[]): string {
  return execFileSync('nsenter', [`--net=${netns}`, ...args], { encoding: 'utf8', timeout: 10_000 });
}

/** A /24 in 10.200-250.x.0 that no host route touches. */
function freeSubnet(): { subnet: string; prefix: string } {
  const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  for (;;) {
    const prefix = `10.${200 + randomBytes(1)[0]! % 50}.${randomBytes(1)[0]}`;
    if (!routes.includes(`${prefix}.`)) return { subnet: `${prefix}.0/24`, prefix };
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

interface Net {
  runner: CniRunner;
  list: NetworkConfigList;
  dir: string;
  bridge: string;
  prefix: string;
}

function network(cleanup: Cleanup): Net {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cni-'));
  const host = snapshotHostNet();
  const bridge = `skt${randomBytes(3).toString('hex')}`;
  const { subnet, prefix } = freeSubnet();
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }), 'rm dir');
  cleanup.add(() => restoreHostNet(host), 'restore iptables and ip_forward');
  cleanup.add(() => {
    try {
      execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    } catch {
      // never created
    }
  }, 'delete bridge');
  const list = bridgeConflist({ name: `skiff-test-${bridge}`, bridge, subnet, ipamDataDir: join(dir, 'ipam') });
  return { runner: new CniRunner({ cacheDir: join(dir, 'cache') }), list, dir, bridge, prefix };
}

async function pinned(cleanup: Cleanup, dir: string, name: string): Promise<string> {
  const path = join(dir, 'netns', name);
  await createPinnedNetns(path);
  cleanup.add(() => removePinnedNetns(path), `netns ${name}`);
  return path;
}

test('bridge network: addresses, traffic between namespaces, DEL leaves nothing behind', { skip }, async (t) => {
  const cleanup = cleanupFor(t);
  const net = network(cleanup);
  const before = snapshotHostNet();
  const a = { containerId: `a${randomBytes(8).toString('hex')}`, netns: await pinned(cleanup, net.dir, 'a'), ifName: 'eth0' };
  const b = { containerId: `b${randomBytes(8).toString('hex')}`, netns: await pinned(cleanup, net.dir, 'b'), ifName: 'eth0' };
  for (const x of [a, b]) cleanup.add(() => net.runner.del(net.list, x), `del ${x.containerId}`);

  const ra = await net.runner.add(net.list, a);
  const rb = await net.runner.add(net.list, b);
  const ipA = ra.ips![0]!.address.split('/')[0]!;
  const ipB = rb.ips![0]!.address.split('/')[0]!;
  assert.ok(ipA.startsWith(`${net.prefix}.`) && ipB.startsWith(`${net.prefix}.`) && ipA !== ipB, `${ipA} ${ipB}`);
  assert.equal(ra.ips![0]!.gateway, `${net.prefix}.1`);
  // seen from inside: eth0 has the address, the default route goes to the gateway
  assert.match(inNetns(a.netns, ['ip', '-4', '-o', 'addr', 'show', 'eth0']), new RegExp(`inet ${ipA.replace(/\./g, '\\.')}/24`));
  assert.match(inNetns(a.netns, ['ip', '-4', 'route']), new RegExp(`default via ${net.prefix}\\.1 dev eth0`));
  inNetns(a.netns, ['busybox', 'ping', '-c', '1', '-W', '3', ipB]);
  inNetns(b.netns, ['busybox', 'ping', '-c', '1', '-W', '3', `${net.prefix}.1`]);
  // the result is cached for DEL and CHECK
  assert.deepEqual((await net.runner.cached(net.list.name, a.containerId, 'eth0'))?.result, ra);
  await net.runner.check(net.list, a);

  await net.runner.del(net.list, a);
  await net.runner.del(net.list, b);
  await net.runner.del(net.list, b); // idempotent
  assert.equal(execFileSync('ip', ['-o', 'link', 'show', 'master', net.bridge], { encoding: 'utf8' }).trim(), '', 'no veth left on the bridge');
  const leases = readdirSync(join(net.dir, 'ipam', net.list.name)).filter((f) => /^\d/.test(f));
  assert.deepEqual(leases, [], 'no IPAM lease left');
  assert.deepEqual(readdirSync(join(net.dir, 'cache')), [], 'no cached result left');
  const added = addedSince(before);
  assert.deepEqual(added.rules.filter((r) => r.includes(a.containerId) || r.includes(b.containerId) || r.includes(ipA) || r.includes(ipB)), [], 'no per-container rule left');
});

test('a published port reaches the container from 127.0.0.1 and is gone after DEL', { skip }, async (t) => {
  const cleanup = cleanupFor(t);
  const net = network(cleanup);
  const c = { containerId: `p${randomBytes(8).toString('hex')}`, netns: await pinned(cleanup, net.dir, 'p'), ifName: 'eth0' };
  const hostPort = await freePort();
  const attach = { ...c, capabilityArgs: { portMappings: [{ hostPort, containerPort: 8080, protocol: 'tcp', hostIP: '127.0.0.1' }] } };
  cleanup.add(() => net.runner.del(net.list, attach), 'del');
  await net.runner.add(net.list, attach);
  // a one-shot server inside the namespace
  const server = spawn('nsenter', [`--net=${c.netns}`, 'busybox', 'nc', '-l', '-p', '8080', '-e', 'echo', 'hello from the namespace'], { stdio: 'ignore' });
  cleanup.add(() => killPid(server.pid!), 'kill nc');
  const reply = await new Promise<string>((resolve, reject) => {
    const attempt = (n: number): void => {
      const sock = connect({ host: '127.0.0.1', port: hostPort });
      let data = '';
      sock.on('data', (d: Buffer) => (data += d.toString()));
      sock.once('end', () => (data === '' && n > 0 ? setTimeout(() => attempt(n - 1), 100) : resolve(data)));
      sock.once('error', (err) => (n > 0 ? setTimeout(() => attempt(n - 1), 100) : reject(err)));
    };
    attempt(50); // until nc listens
  });
  assert.equal(reply.trim(), 'hello from the namespace');
  await net.runner.del(net.list, attach);
  const nat = execFileSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' });
  assert.equal(nat.includes(`--dport ${hostPort}`), false, 'the DNAT rule is removed');
});

test('a plugin error names the plugin and its message; nothing stays attached', { skip }, async (t) => {
  const cleanup = cleanupFor(t);
  const net = network(cleanup);
  const c = { containerId: `e${randomBytes(8).toString('hex')}`, netns: await pinned(cleanup, net.dir, 'e'), ifName: 'eth0' };
  const bad: NetworkConfigList = { ...net.list, plugins: [{ ...net.list.plugins[0]!, ipam: { type: 'host-local', ranges: [[{ subnet: 'not-a-subnet' }]] } }] };
  await assert.rejects(net.runner.add(bad, c), /plugin type="bridge" failed \(add\): .*not-a-subnet/);
  assert.equal(inNetns(c.netns, ['ip', '-o', 'link']).includes('eth0'), false, 'no interface left in the namespace');
  await assert.rejects(net.runner.add({ ...net.list, plugins: [{ type: 'no-such-plugin' }] }, c), /failed to find plugin "no-such-plugin"/);
});
