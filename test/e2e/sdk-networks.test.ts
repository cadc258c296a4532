// docker-py (Debian's python3-docker) and dockerode drive skiffd's /networks as they drive docker's:
// create with an IPAM pool and labels, list with filters, inspect (the fields of moby's `Network`),
// a container created on the network with aliases and a static address (its `EndpointSettings`),
// a second, running container connected afterwards, both listed in the network's Containers, the
// aliases resolved by the embedded DNS from the connected container, errors with docker's status
// codes, disconnect, remove, prune. Real traffic only between the namespaces made here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { restoreOwnedHostNet, snapshotHostNet } from '../helpers/host-net.js';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;
const haveDockerPy = existsSync('/usr/lib/python3/dist-packages/docker') ? false : 'python3-docker is not installed (scripts/install-system-deps.sh)';
const IMAGE = 'skiff-test/sdk-net:1';
const PREFIXES = ['10.247.', '10.248.', '10.249.'];

/** moby's `Network` (GET /networks/{id}, API 1.50) and `EndpointSettings` field names. */
const NETWORK_FIELDS = ['Attachable', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Created', 'Driver', 'EnableIPv4', 'EnableIPv6', 'IPAM', 'Id', 'Ingress', 'Internal', 'Labels', 'Name', 'Options', 'Scope'];
const ENDPOINT_FIELDS = ['Aliases', 'DNSNames', 'DriverOpts', 'EndpointID', 'Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'GwPriority', 'IPAMConfig', 'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'Links', 'MacAddress', 'NetworkID'];

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The A records nslookup printed for a name (busybox: "Name: x" then "Address: ip" lines). */
function addresses(out: string): string[] {
  return [...out.split(/\n\s*\n/).filter((b) => /^Name:/m.test(b)).join('\n').matchAll(/^Address:\s*(\S+)$/gm)].map((m) => m[1]!);
}

/** A daemon with its own default bridge, a busybox image, and this daemon's links and rules removed after. */
async function setup(t: import('node:test').TestContext, bridge: string, bip: string): Promise<Skiffd> {
  // first registered, first run: the temp dir goes even if a later hook fails
  const dir = await mkdtemp('/tmp/skiff-sdknet-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const net = snapshotHostNet();
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test', bridge, bip } });
  // after the daemon's own hook (hooks run in the order registered): its containers are gone by then
  t.after(() => restoreOwnedHostNet(net, { bridges: [bridge], prefixes: PREFIXES }));
  await mkdir(join(dir, 'root/bin'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'root/bin/busybox'));
  for (const a of ['sh', 'nc', 'printf', 'sleep', 'nslookup', 'httpd', 'cat', 'true']) await symlink('busybox', join(dir, `root/bin/${a}`));
  const tar = join(dir, 'rootfs.tar');
  assert.equal((await runCmd('tar', ['-C', join(dir, 'root'), '-cf', tar, '.'])).code, 0);
  ok(await docker(d, ['import', '-c', 'ENV PATH=/bin', tar, IMAGE]), 'import');
  return d;
}

const PY = String.raw`
import json, sys, docker
base_url, image = sys.argv[1], sys.argv[2]
c = docker.DockerClient(base_url=base_url, version='auto')
api = c.api
out = {}
pool = docker.types.IPAMPool(subnet='10.248.0.0/24', gateway='10.248.0.254', iprange='10.248.0.128/25')
net = c.networks.create('pynet', driver='bridge', ipam=docker.types.IPAMConfig(pool_configs=[pool]),
                        labels={'sdk': 'py', 'tier': 'back'}, attachable=True, check_duplicate=True)
out['created'] = net.id
c.networks.create('pyother', labels={'sdk': 'other'}, ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet='10.248.1.0/24')]))
out['list_label'] = [n.name for n in c.networks.list(filters={'label': 'sdk=py'})]
out['list_label_key'] = sorted(n.name for n in c.networks.list(filters={'label': 'sdk'}))
out['list_names'] = [n.name for n in c.networks.list(names=['pynet'])]
out['list_ids'] = [n.name for n in c.networks.list(ids=[net.id[:12]])]
out['list_custom'] = sorted(n.name for n in c.networks.list(filters={'type': 'custom'}))
out['list_driver'] = sorted(n.name for n in c.networks.list(filters={'driver': 'null'}))
out['inspect'] = c.networks.get('pynet').attrs

# a container created on the network with two aliases and a static address
db_id = api.create_container(image, ['httpd', '-f', '-p', '80', '-h', '/'], name='pydb',
    host_config=api.create_host_config(network_mode='pynet'),
    networking_config=api.create_networking_config({'pynet': api.create_endpoint_config(aliases=['db', 'database'], ipv4_address='10.248.0.200')}))['Id']
api.start(db_id)
db = c.containers.get(db_id)
out['db_short'] = db_id[:12]
out['db_endpoint'] = db.attrs['NetworkSettings']['Networks']['pynet']
# before API 1.45 docker also listed the short id (and the hostname) among a user network's aliases
out['aliases_1_44'] = docker.APIClient(base_url=base_url, version='1.44').inspect_container(db_id)['NetworkSettings']['Networks']['pynet']['Aliases']

# a running container on the default bridge, connected afterwards with an alias of its own
client = c.containers.run(image, ['sleep', '300'], name='pyclient', detach=True)
net.connect(client, aliases=['cli'])
net.reload()
out['members'] = sorted(x.name for x in net.containers)
out['inspect_containers'] = sorted(v['Name'] for v in net.attrs['Containers'].values())
client.reload()
out['client_networks'] = sorted(client.attrs['NetworkSettings']['Networks'].keys())
out['client_aliases'] = client.attrs['NetworkSettings']['Networks']['pynet']['Aliases']
out['lookup_db'] = client.exec_run(['nslookup', 'db']).output.decode()
out['lookup_cli'] = db.exec_run(['nslookup', 'cli']).output.decode()
out['http'] = client.exec_run(['sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 3 database 80']).output.decode().split('\r\n')[0]

def error(f):
    try:
        f()
        return 'no error'
    except docker.errors.APIError as e:
        return [e.status_code, str(e.explanation)]

out['rm_busy'] = error(lambda: c.networks.get('pynet').remove())
out['connect_twice'] = error(lambda: net.connect(client))
alone = c.containers.run(image, ['sleep', '300'], name='pyalone', detach=True, network_mode='none')
out['connect_none'] = error(lambda: net.connect(alone))
alone.remove(force=True)
out['create_taken'] = error(lambda: c.networks.create('pynet', check_duplicate=True))
out['create_overlap'] = error(lambda: c.networks.create('pyoverlap', ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet='10.248.0.0/16')])))

net.disconnect(client)
net.disconnect(db, force=True)
net.reload()
out['members_after'] = [x.name for x in net.containers]
client.reload()
out['client_networks_after'] = sorted(client.attrs['NetworkSettings']['Networks'].keys())
out['disconnect_twice'] = error(lambda: net.disconnect(client))
client.remove(force=True)
db.remove(force=True)
out['prune_label'] = c.networks.prune(filters={'label': 'sdk=other'})
net.remove()
try:
    c.networks.get('pynet')
    out['gone'] = False
except docker.errors.NotFound as e:
    out['gone'] = str(e.explanation)
out['prune_empty'] = c.networks.prune()
out['left'] = sorted(n.name for n in c.networks.list())
print(json.dumps(out))
`;

test('docker-py: create with IPAM and labels, list filters, inspect, aliases, connect, DNS, errors, disconnect, remove, prune', { skip: skip || haveDockerPy, timeout: 180_000 }, async (t) => {
  const d = await setup(t, `sksd${process.pid % 100000}`, '10.247.0.1/24');
  const script = join(d.dir, 'networks.py');
  await writeFile(script, PY);
  const r = await runCmd('/usr/bin/python3', [script, d.host, IMAGE], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.match(String(out.created), /^[0-9a-f]{64}$/);
  assert.deepEqual(out.list_label, ['pynet']);
  assert.deepEqual(out.list_label_key, ['pynet', 'pyother']);
  assert.deepEqual(out.list_names, ['pynet']);
  assert.deepEqual(out.list_ids, ['pynet']);
  assert.deepEqual(out.list_custom, ['pynet', 'pyother']);
  assert.deepEqual(out.list_driver, ['none']);

  const ins = out.inspect as Record<string, unknown>;
  assert.deepEqual(Object.keys(ins).sort(), NETWORK_FIELDS, 'moby\'s Network fields');
  assert.equal(ins.Id, out.created);
  assert.equal(ins.Driver, 'bridge');
  assert.equal(ins.Scope, 'local');
  assert.equal(ins.Attachable, true);
  assert.deepEqual(ins.Labels, { sdk: 'py', tier: 'back' });
  assert.deepEqual(ins.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: '10.248.0.0/24', Gateway: '10.248.0.254', IPRange: '10.248.0.128/25' }] });
  assert.deepEqual(ins.Containers, {});
  assert.ok(!Number.isNaN(Date.parse(String(ins.Created))));

  const ep = out.db_endpoint as Record<string, unknown>;
  assert.deepEqual(Object.keys(ep).sort(), ENDPOINT_FIELDS, 'moby\'s EndpointSettings fields');
  assert.equal(ep.NetworkID, out.created);
  assert.equal(ep.IPAddress, '10.248.0.200');
  assert.equal(ep.IPPrefixLen, 24);
  assert.equal(ep.Gateway, '10.248.0.254');
  assert.deepEqual(ep.IPAMConfig, { IPv4Address: '10.248.0.200' });
  assert.deepEqual(ep.Aliases, ['db', 'database']);
  assert.deepEqual(out.aliases_1_44, ['db', 'database', String(out.db_short)]);
  assert.deepEqual((ep.DNSNames as string[]).slice(0, 3), ['pydb', 'db', 'database']);
  assert.match(String(ep.MacAddress), /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.match(String(ep.EndpointID), /^[0-9a-f]{64}$/);

  assert.deepEqual(out.members, ['pyclient', 'pydb']);
  assert.deepEqual(out.inspect_containers, ['pyclient', 'pydb']);
  assert.deepEqual(out.client_networks, ['bridge', 'pynet']);
  assert.deepEqual(out.client_aliases, ['cli']);
  assert.deepEqual(addresses(String(out.lookup_db)), ['10.248.0.200'], `a container connected while running resolves the alias: ${String(out.lookup_db)}`);
  assert.match(String(out.lookup_db), /^Server:\s+10\.248\.0\.254$/m, 'through the network\'s DNS on its gateway');
  const cli = addresses(String(out.lookup_cli));
  assert.equal(cli.length, 1);
  assert.match(cli[0]!, /^10\.248\.0\.(12[89]|1[3-9]\d|2[0-4]\d|25[0-3])$/, 'the connected container\'s address, from the ip range');
  assert.match(String(out.http), /^HTTP\/1\.[01] /, 'TCP to the second alias');

  assert.deepEqual((out.rm_busy as unknown[])[0], 403);
  assert.match(String((out.rm_busy as unknown[])[1]), /network pynet has active endpoints/);
  assert.deepEqual((out.connect_twice as unknown[])[0], 403);
  assert.match(String((out.connect_twice as unknown[])[1]), /endpoint with name pyclient already exists in network pynet/);
  assert.deepEqual(out.connect_none, [400, 'container cannot be connected to multiple networks with one of the networks in private (none) mode']);
  assert.deepEqual((out.create_taken as unknown[])[0], 409);
  assert.match(String((out.create_taken as unknown[])[1]), /network with name pynet already exists/);
  assert.match(String((out.create_overlap as unknown[])[1]), /Pool overlaps with other one on this address space/);

  assert.deepEqual(out.members_after, []);
  assert.deepEqual(out.client_networks_after, ['bridge']);
  assert.match(String((out.disconnect_twice as unknown[])[1]), /is not connected to network pynet/);
  assert.deepEqual(out.prune_label, { NetworksDeleted: ['pyother'] });
  assert.equal(out.gone, 'network pynet not found');
  assert.deepEqual(out.prune_empty, { NetworksDeleted: null });
  assert.deepEqual(out.left, ['bridge', 'host', 'none']);
});

/** Runs a command in a container through dockerode's exec and returns its stdout. */
async function execOut(dockerode: Docker, id: string, cmd: string[]): Promise<string> {
  const exec = await dockerode.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const out = new PassThrough().on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => stream.once('end', r));
  dockerode.modem.demuxStream(stream, out, new PassThrough());
  await ended;
  return Buffer.concat(chunks).toString();
}

test('dockerode: createNetwork, listNetworks filters, NetworkingConfig aliases, connect, inspect, disconnect, remove, prune', { skip, timeout: 180_000 }, async (t) => {
  const d = await setup(t, `sksn${process.pid % 100000}`, '10.247.1.1/24');
  const dockerode = new Docker({ socketPath: d.socket });
  const created = await dockerode.createNetwork({
    Name: 'nodenet', CheckDuplicate: true, Driver: 'bridge', Labels: { sdk: 'node' },
    IPAM: { Driver: 'default', Config: [{ Subnet: '10.249.0.0/24', Gateway: '10.249.0.1' }] },
  });
  await dockerode.createNetwork({ Name: 'nodeprune', Labels: { sdk: 'prune' }, IPAM: { Config: [{ Subnet: '10.249.1.0/24' }] } });
  assert.deepEqual((await dockerode.listNetworks({ filters: { label: ['sdk=node'] } })).map((n) => n.Name), ['nodenet']);
  assert.deepEqual((await dockerode.listNetworks({ filters: JSON.stringify({ name: ['nodenet'] }) })).map((n) => n.Name), ['nodenet']);
  const listed = (await dockerode.listNetworks({ filters: { type: ['custom'] } })).map((n) => n.Name).sort();
  assert.deepEqual(listed, ['nodenet', 'nodeprune']);
  const info = await created.inspect() as unknown as Record<string, unknown>;
  assert.deepEqual(Object.keys(info).sort(), NETWORK_FIELDS);
  assert.deepEqual(info.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: '10.249.0.0/24', Gateway: '10.249.0.1' }] });

  const db = await dockerode.createContainer({
    Image: IMAGE, name: 'nodedb', Cmd: ['httpd', '-f', '-p', '80', '-h', '/'],
    HostConfig: { NetworkMode: 'nodenet' },
    NetworkingConfig: { EndpointsConfig: { nodenet: { Aliases: ['db'], IPAMConfig: { IPv4Address: '10.249.0.20' } } } },
  });
  await db.start();
  const client = await dockerode.createContainer({ Image: IMAGE, name: 'nodeclient', Cmd: ['sleep', '300'] });
  await client.start();
  await created.connect({ Container: client.id, EndpointConfig: { Aliases: ['cli'] } });
  const members = (await created.inspect() as { Containers: Record<string, { Name: string; IPv4Address: string }> }).Containers;
  assert.deepEqual(Object.keys(members).sort(), [db.id, client.id].sort());
  assert.equal(members[db.id]!.IPv4Address, '10.249.0.20/24');
  const ep = (await client.inspect()).NetworkSettings.Networks['nodenet'] as unknown as Record<string, unknown>;
  assert.deepEqual(Object.keys(ep).sort(), ENDPOINT_FIELDS);
  assert.deepEqual(ep.Aliases, ['cli']);
  assert.equal(ep.NetworkID, created.id);

  const lookup = await execOut(dockerode, client.id, ['nslookup', 'db']);
  assert.deepEqual(addresses(lookup), ['10.249.0.20'], lookup);
  const reverse = await execOut(dockerode, db.id, ['nslookup', 'cli']);
  assert.deepEqual(addresses(reverse), [members[client.id]!.IPv4Address.split('/')[0]], reverse);

  await assert.rejects(created.remove(), (err: { statusCode?: number }) => err.statusCode === 403);
  await assert.rejects(dockerode.createNetwork({ Name: 'nodenet', CheckDuplicate: true }), (err: { statusCode?: number }) => err.statusCode === 409);
  await created.disconnect({ Container: client.id });
  assert.deepEqual(Object.keys((await client.inspect()).NetworkSettings.Networks), ['bridge']);
  assert.doesNotMatch(await execOut(dockerode, client.id, ['cat', '/etc/resolv.conf']), /10\.249\.0\.1\b/, 'the network\'s DNS is gone from the disconnected container');
  await client.remove({ force: true });
  await db.remove({ force: true });
  assert.deepEqual((await created.inspect() as { Containers: object }).Containers, {});
  assert.deepEqual(await dockerode.pruneNetworks({ filters: { label: ['sdk=prune'] } }), { NetworksDeleted: ['nodeprune'] });
  await created.remove();
  await assert.rejects(created.inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
  assert.deepEqual((await dockerode.listNetworks()).map((n) => n.Name).sort(), ['bridge', 'host', 'none']);
});
