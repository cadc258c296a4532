// User-defined networks through skiffd with the docker CLI: network create/ls/inspect/rm/prune with
// docker's errors, name resolution by the embedded DNS (name, alias, short id, --link) from inside
// the containers, isolation between networks, --internal, static addresses, connect/disconnect of a
// running container, IPv6, -P, the default bridge's --link/--add-host/--dns*/--hostname files, and a
// kill -9 of the daemon: running containers keep their addresses, ports and names, what belonged to
// a container that died meanwhile is gone. Real traffic only between the namespaces made here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import { join } from 'node:path';
import { addedSince, linkNames, restoreOwnedHostNet, snapshotHostNet } from '../helpers/host-net.js';
import { killPid } from '../helpers/cleanup.js';
import { busyboxRootfs } from '../fixtures/busybox-rootfs.js';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function fails(r: CmdResult, pattern: RegExp, what: string): void {
  assert.notEqual(r.code, 0, `${what} should fail: ${r.stdout}`);
  assert.match(r.stderr, pattern, what);
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => { data += c; });
    s.once('end', () => resolve(data));
    s.once('error', reject);
    s.write('GET / HTTP/1.0\r\n\r\n');
  });
}

async function retry<T>(fn: () => Promise<T>, tries = 100): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A daemon with its own default bridge, a busybox image with EXPOSE 80, and the host put back after. */
async function setup(t: import('node:test').TestContext, bridge: string, bip: string, owned: { bridges: string[]; prefixes: string[] }): Promise<Skiffd & { hostNet: ReturnType<typeof snapshotHostNet> }> {
  const net = snapshotHostNet();
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test', bridge, bip } });
  // after the daemon's own hook (hooks run in the order registered): its containers are gone by
  // then; only this test's bridges, their veths and the rules naming its subnets go (other tests'
  // daemons may be running)
  t.after(() => restoreOwnedHostNet(net, { bridges: [bridge, ...owned.bridges], prefixes: owned.prefixes }));
  const dir = await mkdtemp('/tmp/skiff-nets-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'root/bin'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'root/bin/busybox'));
  await copyFile(join(await busyboxRootfs(), 'bin/probe'), join(dir, 'root/bin/probe'));
  for (const a of ['sh', 'ip', 'nc', 'echo', 'cat', 'sleep', 'nslookup', 'ping', 'httpd', 'env', 'grep', 'true']) await symlink('busybox', join(dir, `root/bin/${a}`));
  const tar = join(dir, 'rootfs.tar');
  assert.equal((await runCmd('tar', ['-C', join(dir, 'root'), '-cf', tar, '.'])).code, 0);
  ok(await docker(d, ['import', '-c', 'ENV PATH=/bin', '-c', 'EXPOSE 80', tar, 'net:1']), 'import');
  return { ...d, hostNet: net };
}

/** A resolver on a loopback address answering A questions from a table (the containers' --dns). */
async function fakeResolver(address: string, table: Record<string, string>): Promise<{ close(): void }> {
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const name = q.questions?.[0]?.name ?? '';
    const ip = q.questions?.[0]?.type === 'A' ? table[name] : undefined;
    const answers: dnsPacket.Answer[] = ip === undefined ? [] : [{ type: 'A', name, ttl: 60, data: ip }];
    sock.send(dnsPacket.encode({ type: 'response', id: q.id ?? 0, flags: dnsPacket.RECURSION_AVAILABLE | (table[name] === undefined ? 3 : 0), questions: q.questions ?? [], answers } as dnsPacket.Packet), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(53, address, resolve); });
  return { close: () => sock.close() };
}

/** The daemon's net:1 as a docker archive (for a second daemon). */
async function saveImage(d: Skiffd): Promise<string> {
  const file = join(d.dir, 'net.tar');
  ok(await docker(d, ['save', '-o', file, 'net:1']), 'save');
  return file;
}

/** The A records nslookup printed for a name (busybox: "Name: x" then "Address: ip" lines). */
function addresses(out: string): string[] {
  return [...out.split(/\n\s*\n/).filter((b) => /^Name:/m.test(b)).join('\n').matchAll(/^Address:\s*(\S+)$/gm)].map((m) => m[1]!);
}

test('user-defined networks: DNS by name/alias/id, isolation, internal, static IPs, connect/disconnect, IPv6, errors', { skip, timeout: 240_000 }, async (t) => {
  const d = await setup(t, `skn${process.pid % 100000}`, '10.217.0.1/24', { bridges: [], prefixes: ['10.217.', '10.218.', '10.219.', '10.220.', '10.221.', '10.222.', 'fd00:5e7:1:'] });
  ok(await docker(d, ['network', 'create', '--subnet', '10.218.0.0/24', '--label', 'purpose=test', 'front']), 'create front');
  ok(await docker(d, ['network', 'create', '--subnet', '10.219.0.0/24', '--gateway', '10.219.0.254', '--ip-range', '10.219.0.128/25', 'back']), 'create back');
  ok(await docker(d, ['network', 'create', '--internal', '--subnet', '10.220.0.0/24', 'sealed']), 'create sealed');

  // bad input: clear errors, nothing created
  fails(await docker(d, ['network', 'create', '--subnet', '10.218.0.0/16', 'overlap']), /Pool overlaps/, 'overlapping subnet');
  fails(await docker(d, ['network', 'create', 'front']), /network with name front already exists/, 'name taken');
  fails(await docker(d, ['network', 'create', '--subnet', '10.221.0.0/24', '--gateway', '10.9.0.1', 'badgw']), /10\.9\.0\.1/, 'gateway outside the subnet');
  fails(await docker(d, ['network', 'create', '--subnet', '10.221.0.1/24', 'badnet']), /it should be 10\.221\.0\.0\/24/, 'subnet not at its network address');
  fails(await docker(d, ['network', 'create', '-d', 'overlay', 'ov']), /plugin "overlay" not found/, 'unknown driver');
  fails(await docker(d, ['run', '--rm', '--network', 'nowhere', 'net:1', 'true']), /network nowhere not found/, 'unknown network');
  fails(await docker(d, ['run', '--rm', '--network', 'back', '--ip', '10.218.0.9', 'net:1', 'true']), /does not belong to any of this network's subnets/, 'address outside the subnet');
  fails(await docker(d, ['run', '--rm', '--network-alias', 'x', 'net:1', 'true']), /network-scoped alias/, 'alias on the default bridge');
  fails(await docker(d, ['network', 'rm', 'bridge']), /pre-defined network and cannot be removed/, 'rm bridge');
  const names = ok(await docker(d, ['network', 'ls', '--format', '{{.Name}}']), 'ls').trim().split('\n').sort();
  assert.deepEqual(names, ['back', 'bridge', 'front', 'host', 'none', 'sealed']);
  assert.equal(ok(await docker(d, ['network', 'ls', '-q', '--filter', 'label=purpose=test', '--format', '{{.Name}}']), 'ls label').trim(), 'front');

  // a server on front with an alias and a static address; names resolve from another container
  const web = ok(await docker(d, ['run', '-d', '--name', 'web', '--network', 'front', '--network-alias', 'www', '--ip', '10.218.0.50', 'net:1', 'httpd', '-f', '-p', '80', '-h', '/']), 'run web').trim();
  const lookups = ok(await docker(d, ['run', '--rm', '--network', 'front', 'net:1', 'sh', '-c',
    `cat /etc/resolv.conf; for n in web www ${web.slice(0, 12)}; do echo "== $n"; nslookup $n; done; echo == get; echo -e 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 www 80`]), 'lookups');
  assert.match(lookups, /^nameserver 10\.218\.0\.1$/m, 'the embedded DNS on the gateway');
  for (const section of lookups.split('== ').slice(1, 4)) assert.deepEqual(addresses(section), ['10.218.0.50'], `lookup: ${section}`);
  assert.match(lookups.split('== get')[1]!, /^HTTP\/1\.[01] /m, 'TCP to the server by its alias');
  const ins = JSON.parse(ok(await docker(d, ['network', 'inspect', 'front']), 'network inspect')) as { Containers: Record<string, { Name: string; IPv4Address: string }>; Labels: Record<string, string> }[];
  assert.deepEqual(Object.values(ins[0]!.Containers).map((c) => [c.Name, c.IPv4Address]), [['web', '10.218.0.50/24']]);
  assert.equal(ins[0]!.Labels['purpose'], 'test');
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{(index .NetworkSettings.Networks "front").IPAddress}} {{(index .NetworkSettings.Networks "front").Aliases}}', 'web']), 'inspect').trim(), '10.218.0.50 [www]');

  // --ip-range and the chosen gateway; isolation from front; the front DNS refuses back's clients
  const other = ok(await docker(d, ['run', '--rm', '--network', 'back', 'net:1', 'sh', '-c',
    'ip -4 -o addr show eth0; ip route; nc -w 2 10.218.0.50 80 </dev/null; echo "tcp=$?"; nslookup web 10.218.0.1; echo "dns=$?"; nslookup web; echo "own=$?"']), 'from back');
  assert.match(other, /inet 10\.219\.0\.(12[89]|1[3-9]\d|2[0-4]\d|25[0-4])\/24/, 'an address from the ip range');
  assert.match(other, /default via 10\.219\.0\.254/);
  assert.match(other, /tcp=1/, 'no TCP across networks');
  assert.match(other, /dns=1/, 'another network\'s DNS does not answer');
  assert.match(other, /own=1/, 'the name is not known on back');

  // --internal: no route out, and the default bridge's containers are out of reach
  const bridged = ok(await docker(d, ['run', '-d', '--name', 'onbridge', 'net:1', 'httpd', '-f', '-p', '80', '-h', '/']), 'run onbridge').trim();
  const bridgedIp = ok(await docker(d, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', bridged]), 'inspect ip').trim();
  const sealed = ok(await docker(d, ['run', '--rm', '--network', 'sealed', 'net:1', 'sh', '-c', `ip route; nc -w 2 ${bridgedIp} 80 </dev/null; echo "tcp=$?"`]), 'sealed');
  assert.doesNotMatch(sealed, /default/, 'no default route');
  assert.match(sealed, /tcp=1/);

  // connect a running container to back and disconnect it again
  ok(await docker(d, ['network', 'connect', '--alias', 'api', 'back', 'web']), 'connect');
  assert.match(ok(await docker(d, ['exec', 'web', 'ip', '-4', '-o', 'addr']), 'eth1'), /eth1\s+inet 10\.219\.0\.\d+\/24/);
  const viaBack = ok(await docker(d, ['run', '--rm', '--network', 'back', 'net:1', 'sh', '-c', "echo -e 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 api 80"]), 'reach web on back');
  assert.match(viaBack, /^HTTP\/1\.[01] /);
  fails(await docker(d, ['network', 'connect', 'back', 'web']), /already exists in network back/, 'connect twice');
  fails(await docker(d, ['network', 'rm', 'back']), /has active endpoints/, 'rm with a container');
  ok(await docker(d, ['network', 'disconnect', 'back', 'web']), 'disconnect');
  assert.doesNotMatch(ok(await docker(d, ['exec', 'web', 'ip', '-o', 'link']), 'links'), /eth1/);

  // names not on the network go to the container's --dns (a resolver of the test's on a loopback address)
  const upstream = await fakeResolver('127.0.0.77', { 'ext.example': '192.0.2.44' });
  t.after(() => upstream.close());
  const ext = ok(await docker(d, ['run', '--rm', '--network', 'front', '--dns', '127.0.0.77', 'net:1', 'sh', '-c', 'cat /etc/resolv.conf; nslookup ext.example']), 'forwarded');
  assert.match(ext, /^nameserver 10\.218\.0\.1$/m, 'still the embedded DNS in the container');
  assert.deepEqual(addresses(ext), ['192.0.2.44'], 'answered by the container\'s --dns through the embedded DNS');

  // IPv6
  ok(await docker(d, ['network', 'create', '--ipv6', '--subnet', '10.222.0.0/24', '--subnet', 'fd00:5e7:1::/64', 'dual']), 'create dual');
  ok(await docker(d, ['run', '-d', '--name', 'six', '--network', 'dual', 'net:1', 'sleep', '300']), 'run six');
  assert.match(ok(await docker(d, ['inspect', '-f', '{{(index .NetworkSettings.Networks "dual").GlobalIPv6Address}}', 'six']), 'v6').trim(), /^fd00:5e7:1::\d+$/);
  const six = ok(await docker(d, ['run', '--rm', '--network', 'dual', 'net:1', 'sh', '-c', 'nslookup -type=aaaa six; ping -c 1 -W 3 six >/dev/null && echo ping6=ok']), 'v6 lookup');
  assert.match(six, /fd00:5e7:1::/);
  assert.match(six, /ping6=ok/);

  // rm and prune: the networks and their bridges go
  const bridges = ok(await docker(d, ['network', 'ls', '-q', '--no-trunc', '--filter', 'type=custom']), 'ids').trim().split('\n').map((id) => `sk-${id.slice(0, 12)}`);
  ok(await docker(d, ['rm', '-f', 'web', 'six', 'onbridge']), 'rm');
  ok(await docker(d, ['network', 'rm', 'sealed']), 'network rm');
  assert.deepEqual(ok(await docker(d, ['network', 'prune', '-f']), 'prune').trim().split('\n').slice(1).sort(), ['back', 'dual', 'front']);
  assert.deepEqual(ok(await docker(d, ['network', 'ls', '--format', '{{.Name}}']), 'ls').trim().split('\n').sort(), ['bridge', 'host', 'none']);
  assert.deepEqual(linkNames().filter((l) => bridges.includes(l)), [], 'the networks\' bridges are removed');
  const left = addedSince(d.hostNet).rules.filter((r) => /10\.2(1[89]|2[02])\.|sk-/.test(r));
  assert.deepEqual(left, [], 'no rule of the removed containers and networks is left');
});

test('default bridge: -P, --link, --add-host, --dns*, --hostname; a port in use; kill -9 keeps addresses, ports and names', { skip, timeout: 180_000 }, async (t) => {
  // a host where dockerd has run: FORWARD policy DROP
  const policy = /^-P FORWARD (\w+)/m.exec(execFileSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' }))?.[1] ?? 'ACCEPT';
  execFileSync('iptables', ['-P', 'FORWARD', 'DROP']);
  t.after(() => { execFileSync('iptables', ['-P', 'FORWARD', policy]); });
  const d = await setup(t, `skl${process.pid % 100000}`, '10.223.0.1/24', { bridges: [`sko${process.pid % 100000}`], prefixes: ['10.223.', '10.224.', '10.225.'] });
  ok(await docker(d, ['run', '-d', '--name', 'srv', '-P', 'net:1', 'httpd', '-f', '-p', '80', '-h', '/']), 'run -P');
  const port = Number(/:(\d+)$/.exec(ok(await docker(d, ['port', 'srv', '80']), 'port').trim())![1]);
  assert.ok(port > 0);
  assert.match(await retry(() => httpGet(port)), /^HTTP\/1\.[01] /, 'the random port answers on 127.0.0.1');
  const srvIp = ok(await docker(d, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'srv']), 'ip').trim();
  // hairpin: another container, and srv itself, through the published port on the gateway
  const get = `echo -e 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 10.223.0.1 ${port}`;
  assert.match(ok(await docker(d, ['run', '--rm', 'net:1', 'sh', '-c', get]), 'from another container'), /^HTTP\/1\.[01] /);
  assert.match(ok(await docker(d, ['exec', 'srv', 'sh', '-c', get]), 'from itself'), /^HTTP\/1\.[01] /);

  // a second daemon with its own data root and bridge: both work, neither reaches the other's containers
  const other = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test', bridge: `sko${process.pid % 100000}`, bip: '10.225.0.1/24' } });
  ok(await docker(other, ['load', '-i', await saveImage(d)]), 'load into the second daemon');
  const cross = ok(await docker(other, ['run', '--rm', 'net:1', 'sh', '-c', `ip -4 -o addr show eth0; nc -w 2 ${srvIp} 80 </dev/null; echo "tcp=$?"`]), 'second daemon');
  assert.match(cross, /inet 10\.225\.0\.\d+\/24/);
  assert.match(cross, /tcp=1/, 'the other daemon\'s containers are isolated');
  assert.match(await retry(() => httpGet(port)), /^HTTP\/1\.[01] /, 'the first daemon\'s port still answers');
  await other.stop();

  const files = ok(await docker(d, ['run', '--rm', '--link', 'srv:web', '--add-host', 'db.example:10.1.2.3', '--dns', '10.9.9.9', '--dns-search', 'corp.example',
    '--dns-option', 'ndots:2', '--hostname', 'box', 'net:1', 'sh', '-c', 'cat /etc/hosts /etc/resolv.conf; env']), 'files');
  assert.match(files, new RegExp(`^${srvIp.replace(/\./g, '\\.')}\\tweb [0-9a-f]{12} srv$`, 'm'), '--link in /etc/hosts');
  assert.match(files, /^10\.1\.2\.3\tdb\.example$/m, '--add-host');
  assert.match(files, /^10\.223\.0\.\d+\tbox$/m, 'own address and --hostname');
  assert.match(files, /^nameserver 10\.9\.9\.9$/m);
  assert.match(files, /^search corp\.example$/m);
  assert.match(files, /^options ndots:2$/m);
  assert.match(files, new RegExp(`^WEB_PORT_80_TCP=tcp://${srvIp.replace(/\./g, '\\.')}:80$`, 'm'), 'link environment');
  fails(await docker(d, ['run', '--rm', '--link', 'nothere:x', 'net:1', 'true']), /No such container: nothere/, 'link to nothing');

  // udp: a datagram to the published port reaches the container
  ok(await docker(d, ['run', '-d', '--name', 'udp', '-p', '127.0.0.1:18477:5353/udp', 'net:1', 'probe', 'udp-echo', '5353']), 'run udp');
  assert.equal(ok(await docker(d, ['port', 'udp']), 'udp port').trim(), '5353/udp -> 127.0.0.1:18477');
  const sock = createSocket('udp4');
  t.after(() => sock.close());
  await retry(async () => {
    sock.send('ping over udp\n', 18477, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    assert.match(ok(await docker(d, ['logs', 'udp']), 'udp logs'), /ping over udp/);
  }, 30);

  ok(await docker(d, ['run', '-d', '--name', 'fixed', '-p', '127.0.0.1:18475:80', 'net:1', 'httpd', '-f', '-p', '80', '-h', '/']), 'run fixed port');
  fails(await docker(d, ['run', '--rm', '-p', '127.0.0.1:18475:80', 'net:1', 'true']), /port is already allocated/, 'port in use');
  ok(await docker(d, ['create', '--name', 'stopped', 'net:1', 'true']), 'create stopped');
  // ps filters on ports and creation order
  const names = async (...filters: string[]): Promise<string[]> =>
    ok(await docker(d, ['ps', '-a', ...filters.flatMap((x) => ['--filter', x]), '--format', '{{.Names}}']), `ps ${filters.join(' ')}`).trim().split('\n').filter((x) => x !== '').sort();
  assert.deepEqual(await names('publish=80'), ['fixed', 'srv']);
  assert.deepEqual(await names('publish=5353/udp'), ['udp']);
  assert.deepEqual(await names('publish=5000-5400/udp'), ['udp']);
  assert.deepEqual(await names('expose=80', 'status=created'), ['stopped'], 'EXPOSE of the image');
  assert.deepEqual(await names('since=udp'), ['fixed', 'stopped']);
  assert.deepEqual(await names('before=udp'), ['srv']);
  assert.deepEqual(await names('health=none', 'since=fixed'), ['stopped']);
  assert.deepEqual(await names('is-task=true'), []);
  fails(await docker(d, ['run', '--rm', '--network', 'container:stopped', 'net:1', 'true']), /non running container/, 'container: a stopped one');

  // a user network with a resolving client, then kill -9 of the daemon with a container dying meanwhile
  ok(await docker(d, ['network', 'create', '--subnet', '10.224.0.0/24', 'app']), 'create app');
  ok(await docker(d, ['run', '-d', '--name', 'api', '--network', 'app', 'net:1', 'httpd', '-f', '-p', '80', '-h', '/']), 'run api');
  ok(await docker(d, ['run', '-d', '--name', 'doomed', '--network', 'app', '-p', '127.0.0.1:18476:80', 'net:1', 'sleep', '600']), 'run doomed');
  const doomedId = ok(await docker(d, ['inspect', '-f', '{{.Id}}', 'doomed']), 'doomed id').trim();
  const doomedPid = Number(ok(await docker(d, ['inspect', '-f', '{{.State.Pid}}', 'doomed']), 'pid').trim());
  const before = ok(await docker(d, ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'api', 'srv']), 'addresses');
  killPid(d.process.pid!, 'SIGKILL');
  await new Promise((r) => d.process.once('exit', r));
  killPid(doomedPid, 'SIGKILL');
  const d2 = await startSkiffd(t, { dir: d.dir, daemonJson: { 'cgroup-parent': 'skiff-test', bridge: `skl${process.pid % 100000}`, bip: '10.223.0.1/24' } });
  assert.equal(ok(await docker(d2, ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'api', 'srv']), 'addresses after'), before);
  assert.match(await retry(() => httpGet(port)), /^HTTP\/1\.[01] /, 'the published port still answers');
  const again = ok(await docker(d2, ['run', '--rm', '--network', 'app', 'net:1', 'nslookup', 'api']), 'DNS after the restart');
  assert.equal(addresses(again).length, 1);
  assert.equal(ok(await docker(d2, ['inspect', '-f', '{{.State.Status}}', 'doomed']), 'doomed state').trim(), 'exited');
  const netnsLeft = await readdir(join(d2.execRoot, 'netns'));
  assert.ok(!netnsLeft.includes(doomedId), 'the dead container\'s namespace is removed');
  // the `run --rm` lookup's own lease is released just after the CLI returns (the CNI DEL runs
  // behind the exit): wait for that, then only api's is left
  await retry(async () => {
    const leases = await readdir(join(d2.dataRoot, 'network', 'ipam', 'app'));
    assert.equal(leases.filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).length, 1, `one lease left on app (api's): ${leases.join(' ')}`);
  }, 60);
  ok(await docker(d2, ['run', '-d', '--name', 'reuse', '-p', '127.0.0.1:18476:80', 'net:1', 'sleep', '1']), 'the dead container\'s port is free again');
  fails(await docker(d2, ['run', '--rm', '-p', `127.0.0.1:18475:80`, 'net:1', 'true']), /port is already allocated/, 'a live container\'s port is still taken');
  ok(await docker(d2, ['rm', '-f', 'udp', 'srv', 'fixed', 'api', 'doomed', 'stopped', 'reuse']), 'rm');
  ok(await docker(d2, ['network', 'rm', 'app']), 'network rm');
  assert.deepEqual((await readdir(join(d2.execRoot, 'netns'))), [], 'no namespace left');
});
