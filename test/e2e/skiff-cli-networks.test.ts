// bin/skiff's network verbs, `port` and the run/create network flags print and send what the docker
// CLI prints and sends: first against a recording fake daemon (the request bodies of run/create
// network flags and of network create/connect/disconnect, byte for byte after JSON parsing), then
// against a private skiffd with its own default bridge (create/ls/inspect/rm/prune/connect/
// disconnect, a container on a user network with an alias, a static address, -P and -p, `port`,
// and docker's errors). The host's links and iptables rules are put back after, whatever happens.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { snapshotHostNet, type HostNetSnapshot } from '../helpers/host-net.js';
import { repoRoot } from '../helpers/repo.js';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';
import { startFakeDaemon, type Recorded } from '../unit/cli/skiff/fake-daemon.js';

const skipRoot = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;

function skiff(d: Pick<Skiffd, 'host' | 'dir'>, args: string[], input?: string): Promise<CmdResult> {
  return runCmd(join(repoRoot(), 'bin', 'skiff'), ['-H', d.host, ...args], { env: { ...process.env, DOCKER_CONFIG: join(d.dir, 'skiff-config') }, ...(input === undefined ? {} : { input }) });
}

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** docker and skiff name themselves in some messages ("docker: …", "Run 'docker run --help'"). */
const unname = (s: string): string => s.replace(/\b(docker|skiff)\b/g, 'CLI');

// ------------------------------------------------------------------------------------------------
// Request bodies against a recording daemon

interface Run {
  code: number | null;
  stderr: string;
  requests: string[];
}

/** docker builds IPAM.Config from a Go map: its order varies from run to run. */
function ipamSorted(body: { IPAM?: { Config?: unknown[] } }): unknown {
  body.IPAM?.Config?.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return body;
}

async function recorded(cli: 'docker' | 'skiff', args: string[]): Promise<Run> {
  const d = await startFakeDaemon('1.50');
  try {
    const r = cli === 'docker' ? await docker({ host: d.host, dir: '/nonexistent' }, args) : await skiff({ host: d.host, dir: '/nonexistent' }, args);
    const requests = d.requests
      .filter((q: Recorded) => !q.url.endsWith('/_ping') && q.method !== 'HEAD' && !/\/(wait|start|attach)\b/.test(q.url))
      .map((q: Recorded) => `${q.method} ${q.url.replace(/^\/v[\d.]+/, '')} ${q.body === '' ? '' : JSON.stringify(ipamSorted(JSON.parse(q.body)))}`);
    return { code: r.code, stderr: unname(r.stderr), requests };
  } finally {
    await d.close();
  }
}

/**
 * Flag sets whose request (or refusal, with the same status) must be docker's; `text` marks the
 * refusals whose message is docker's too (a flag error of run/create differs in the usage block).
 */
const BODY_SETS: { args: string[]; text?: true }[] = [
  { args: ['create', 'img'] },
  { args: ['create', '--net', 'none', 'img'] },
  {
    args: ['create', '--network', 'n2', '--network-alias', 'a1', '--network-alias', 'a2', '--ip', '10.5.0.9', '--ip6', 'fd00::9', '--link', 'c1:al', '--link', 'c2',
      '--add-host', 'h:1.2.3.4', '--add-host', 'h2=1.2.3.5', '--add-host', 'h6:[::1]', '--dns', '8.8.8.8', '--dns-search', 's.ex', '--dns-option', 'ndots:2', '-h', 'box',
      '-p', '80', '-p', '8080:80/udp', '-p', '127.0.0.1:9000-9001:90-91', '-p', '127.0.0.1:8000-8010:81', '-p', '[::1]::82', '-P', '--expose', '7000-7001', '--expose', '53/udp', 'img'],
  },
  { args: ['create', '--network', 'n2', '--network', 'n3', 'img'] },
  { args: ['create', '--network', 'name=n2,alias=z,ip=10.5.0.3,driver-opt=k=v,gw-priority=2', 'img'] },
  { args: ['create', '--link', 'c1', '--network', 'n1', '--network', 'n2', 'img'] },
  { args: ['create', '--link', 'c1:x', '--ip', '172.17.0.9', 'img'] },
  { args: ['create', '--network', 'bridge', '-p', 'target=80,published=8080,protocol=udp', '--expose', '9000', '-P', 'img'] },
  { args: ['run', '-d', '--network', 'n1', '--network-alias', 'x', 'img'] },
  { args: ['network', 'create', 'n1'] },
  {
    args: ['network', 'create', '-d', 'bridge', '--subnet', '10.5.0.0/24', '--gateway', '10.5.0.254', '--ip-range', '10.5.0.128/25', '--internal', '--ipv6',
      '--label', 'a=b', '--label', 'c', '-o', 'com.x=1', '--attachable', 'n2'],
  },
  { args: ['network', 'create', '--subnet', '10.0.0.0/24', '--subnet', 'fd00::/64', '--gateway', 'fd00::1', '--ipv4=false', '--aux-address', 'a=10.0.0.5', '--ipam-opt', 'q=1', 'x'] },
  { args: ['network', 'connect', '--alias', 'x', '--alias', 'y,z', '--ip', '10.5.0.9', '--ip6', 'fd00::9', '--link', 'a:b', '--driver-opt', 'k=v', '--gw-priority', '5', 'n2', 'c1'] },
  { args: ['network', 'connect', 'n2', 'c1'] },
  { args: ['network', 'disconnect', '-f', 'n2', 'c1'] },
  { args: ['network', 'disconnect', 'n2', 'c1'] },
  { args: ['network', 'prune', '-f', '--filter', 'label=a'] },
  // refusals before any request
  { args: ['create', '-p', '8080:80-81', 'img'], text: true },
  { args: ['create', '-p', '80/xyz', 'img'], text: true },
  { args: ['create', '--expose', '80:90', 'img'], text: true },
  { args: ['create', '--network', 'n1', '--network', 'n1', 'img'], text: true },
  { args: ['create', '--network', 'n1', '--network', 'none', 'img'], text: true },
  { args: ['create', '--network-alias', 'z', 'img'], text: true },
  { args: ['create', '--dns', 'x', 'img'] },
  { args: ['create', '--add-host', 'foo', 'img'] },
  { args: ['create', '--link', 'a:b:c', 'img'] },
  { args: ['network', 'create', '--ip-range', '10.0.0.0/25', 'x'], text: true },
  { args: ['network', 'create', '--subnet', '10.0.0.0/16', '--subnet', '10.0.1.0/24', 'x'], text: true },
  { args: ['network', 'create', '--subnet', '10.0.0.0/24', '--gateway', '10.1.0.1', 'x'], text: true },
  { args: ['network', 'create', '--subnet', '10.0.0.0/24', '--ip-range', 'foo', 'x'], text: true },
  { args: ['network', 'create', '--label', '', 'x'], text: true },
  { args: ['network', 'connect', '--link', 'a:b:c', 'a', 'b'], text: true },
  { args: ['network', 'connect', 'a'], text: true },
];

test('skiff sends docker\'s request bodies for the network verbs and the run/create network flags', { skip: haveDockerCli, timeout: 120_000 }, async () => {
  for (const { args, text } of BODY_SETS) {
    const [want, got] = [await recorded('docker', args), await recorded('skiff', args)];
    const label = `skiff ${args.join(' ')}`;
    assert.deepEqual(got.requests, want.requests, label);
    assert.equal(got.code, want.code, `${label}: ${got.stderr} / docker: ${want.stderr}`);
    if (text === true) assert.equal(got.stderr, want.stderr, label);
  }
});

// ------------------------------------------------------------------------------------------------
// Against skiffd

const links = (): string[] =>
  execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').filter((l) => l !== '').map((l) => l.split(': ')[1]!.split('@')[0]!);

/** The arguments of one `iptables -S` line: `"…"` quoted, `\"` inside quotes (CNI's comments). */
function ruleArgs(line: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < line.length;) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    let arg = '';
    if (line[i] === '"') {
      for (i++; i < line.length && line[i] !== '"'; i++) arg += line[i] === '\\' ? line[++i] : line[i];
      i++;
    } else for (; i < line.length && line[i] !== ' '; i++) arg += line[i];
    out.push(arg);
  }
  return out;
}

/**
 * Puts back the host's packet filter as the snapshot had it, for what this test made only (other
 * daemons may run on the host meanwhile): rules that name this test's subnets or bridges, the CNI
 * chains they jump to, and then portmap/firewall chains made since the snapshot that nothing else
 * uses any more; ip_forward as it was.
 */
function restoreOurRules(snap: HostNetSnapshot, ours: RegExp): void {
  const BUILTIN = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);
  for (const table of ['filter', 'nat', 'mangle'] as const) {
    const dump = (): string[] => execFileSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('-A '));
    const newChains = new Set(execFileSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('-N ')).map((l) => l.slice(3))
      .filter((c) => !snap.chains.get(table)!.has(c)));
    const isNew = (l: string): boolean => !snap.rules.get(table)!.has(l);
    const target = (l: string): string | undefined => { const a = ruleArgs(l); const i = a.findIndex((x) => x === '-j' || x === '-g'); return i < 0 ? undefined : a[i + 1]; };
    const remove = (l: string): void => { execFileSync('iptables', ['-t', table, '-D', ...ruleArgs(l).slice(1)]); };
    const doomed = new Set<string>();
    // our rules, and the chains they jump to; then everything in those chains
    for (let changed = true; changed;) {
      changed = false;
      for (const l of dump().filter((x) => isNew(x) && (ours.test(x) || doomed.has(target(x) ?? '') || doomed.has(ruleArgs(x)[1]!)))) {
        const t = target(l);
        if (t !== undefined && newChains.has(t)) doomed.add(t);
        remove(l);
        changed = true;
      }
    }
    // new chains nothing but new jumps from the built-in chains (or other such chains) use
    const rules = dump();
    const unused = new Set([...newChains].filter((c) => rules.filter((l) => ruleArgs(l)[1] === c).every((l) => !/\d+\.\d+\.\d+\.\d+|id: /.test(l))));
    for (let changed = true; changed;) {
      changed = false;
      for (const c of unused) {
        const users = rules.filter((l) => target(l) === c).map((l) => ruleArgs(l)[1]!);
        if (users.some((u, i) => !(unused.has(u) || (BUILTIN.has(u) && isNew(rules.filter((l) => target(l) === c)[i]!))))) {
          unused.delete(c);
          changed = true;
        }
      }
    }
    for (const l of rules.filter((x) => isNew(x) && BUILTIN.has(ruleArgs(x)[1]!) && unused.has(target(x) ?? ''))) remove(l);
    for (const c of [...unused, ...doomed]) execFileSync('iptables', ['-t', table, '-F', c], { stdio: 'ignore' });
    for (const c of [...unused, ...doomed]) {
      try { execFileSync('iptables', ['-t', table, '-X', c], { stdio: 'ignore' }); } catch { /* already gone */ }
    }
  }
  writeFileSync('/proc/sys/net/ipv4/ip_forward', snap.ipForward);
}

/**
 * A daemon with its own default bridge and a busybox image with EXPOSE 80. After the daemon's own
 * hook (its containers are gone by then): the bridges of this test's networks and whatever is still
 * enslaved to them are deleted, and this test's iptables rules are removed.
 */
async function setup(t: TestContext, bridge: string, bip: string, ours: RegExp): Promise<{ d: Skiffd; networkIds: Set<string> }> {
  const dir = await mkdtemp('/tmp/skiff-clinet-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const net = snapshotHostNet();
  const before = new Set(links());
  const networkIds = new Set<string>();
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test', bridge, bip } });
  t.after(() => {
    const bridges = [bridge, ...[...networkIds].map((id) => `sk-${id.slice(0, 12)}`)].filter((b) => !before.has(b));
    const present = new Set(links());
    for (const b of bridges.filter((x) => present.has(x))) {
      const enslaved = execFileSync('ip', ['-o', 'link', 'show', 'master', b], { encoding: 'utf8' }).split('\n').filter((l) => l !== '').map((l) => l.split(': ')[1]!.split('@')[0]!);
      for (const l of [...enslaved, b]) {
        try { execFileSync('ip', ['link', 'del', l], { stdio: 'ignore' }); } catch { /* gone with its peer */ }
      }
    }
    restoreOurRules(net, new RegExp(`${ours.source}|${[bridge, ...bridges].join('|')}`));
  });
  await mkdir(join(dir, 'root/bin'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'root/bin/busybox'));
  for (const a of ['sh', 'echo', 'sleep', 'nslookup', 'true', 'ip']) await symlink('busybox', join(dir, `root/bin/${a}`));
  assert.equal((await runCmd('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'r.tar'), '.'])).code, 0);
  ok(await skiff(d, ['import', '-c', 'ENV PATH=/bin', '-c', 'EXPOSE 80', join(dir, 'r.tar'), 'net:1']), 'import');
  return { d, networkIds };
}

test('skiff and docker agree on network verbs, port and network errors against skiffd', { skip: skipRoot, timeout: 240_000 }, async (t) => {
  // 10.230–10.234.0.0/24 and fd00:5e7:2::/64 are this test's; the rules that name them are removed after
  const { d, networkIds } = await setup(t, `skc${process.pid % 100000}`, '10.230.0.1/24', /\b10\.23[0-4]\.|fd00:5e7:2:/);
  const same = async (args: string[], input?: string): Promise<CmdResult> => {
    const [a, b] = [await docker(d, args, input === undefined ? {} : { input }), await skiff(d, args, input)];
    assert.deepEqual({ code: b.code, stdout: unname(b.stdout), stderr: unname(b.stderr) }, { code: a.code, stdout: unname(a.stdout), stderr: unname(a.stderr) }, `skiff ${args.join(' ')}`);
    return b;
  };
  const created = (r: CmdResult, what: string): string => {
    const id = ok(r, what).trim();
    assert.match(id, /^[0-9a-f]{64}$/, what);
    networkIds.add(id);
    return id;
  };

  // create: each CLI makes one; the same refusals
  created(await skiff(d, ['network', 'create', '--subnet', '10.231.0.0/24', '--gateway', '10.231.0.254', '--ip-range', '10.231.0.0/25', '--label', 'purpose=cli', 'front']), 'skiff create front');
  created(await docker(d, ['network', 'create', '--subnet', '10.232.0.0/24', '--internal', 'back']), 'docker create back');
  created(await skiff(d, ['network', 'create', '-d', 'bridge', '--subnet', '10.233.0.0/24', '--ipv6', '--subnet', 'fd00:5e7:2::/64', '-o', 'com.docker.network.driver.mtu=1400', '--label', 'purpose=cli', 'dual']), 'skiff create dual');
  await same(['network', 'create', 'front']); // name taken
  await same(['network', 'create', '--subnet', '10.231.0.0/16', 'overlap']);
  await same(['network', 'create', '-d', 'overlay', 'ov']);
  await same(['network', 'create', '--subnet', '10.234.0.0/24', '--gateway', '10.9.0.1', 'badgw']);
  await same(['network', 'create']);

  // ls and inspect
  await same(['network', 'ls']);
  await same(['network', 'list', '-q']);
  await same(['network', 'ls', '--no-trunc']);
  await same(['network', 'ls', '--filter', 'label=purpose=cli']);
  await same(['network', 'ls', '-q', '-f', 'driver=bridge', '-f', 'type=custom']);
  await same(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.IPv4}} {{.IPv6}} {{.Internal}} {{.Labels}}']);
  await same(['network', 'ls', '--format', 'table {{.Name}}\t{{.CreatedAt}}\t{{.Internal}}']);
  await same(['network', 'ls', '--format', 'json']);
  await same(['network', 'ls', '--format', 'raw']);
  await same(['network', 'ls', '--filter', 'bogus=1']);
  await same(['network', 'ls', '--filter', 'nofilter']);
  await same(['network', 'inspect', 'front', 'back', 'dual', 'bridge']);
  await same(['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Internal}} {{json .IPAM.Config}} {{.Labels}} {{.ID}} {{json .Options}} {{.Created}}', 'front', 'dual']);
  await same(['network', 'inspect', '-f', '{{.Id}} {{index .Options "com.docker.network.driver.mtu"}} {{json .}}', 'dual']);
  await same(['network', 'inspect', '-f', '{{.ID}} {{.Id}}', 'front', 'nosuch', 'dual']); // neither the struct nor the JSON has both
  await same(['network', 'inspect', '--format', 'json', 'back']);
  await same(['network', 'inspect', 'nosuch']);
  await same(['network', 'inspect', 'front', 'nosuch']);

  // a container on front: alias, static address, -P and -p (a host range, udp); the same create
  // body as docker's shows in what the daemon kept
  const runFlags = ['--network', 'front', '--network-alias', 'www', '--ip', '10.231.0.50', '-P', '-p', '127.0.0.1:18480-18499:8080', '-p', '127.0.0.1::53/udp', '--expose', '9000-9001'];
  ok(await skiff(d, ['create', '--name', 'made-by-skiff', ...runFlags, 'net:1', 'true']), 'skiff create');
  ok(await docker(d, ['create', '--name', 'made-by-docker', ...runFlags, 'net:1', 'true']), 'docker create');
  const kept = '{{json .Config.ExposedPorts}} {{json .HostConfig.PortBindings}} {{.HostConfig.PublishAllPorts}} {{.HostConfig.NetworkMode}} {{with index .NetworkSettings.Networks "front"}}{{json .IPAMConfig}} {{json .Aliases}}{{end}}';
  const [bySkiff, byDocker] = [ok(await docker(d, ['inspect', '-f', kept, 'made-by-skiff']), 'inspect'), ok(await docker(d, ['inspect', '-f', kept, 'made-by-docker']), 'inspect')];
  assert.equal(bySkiff, byDocker);
  ok(await skiff(d, ['rm', 'made-by-skiff', 'made-by-docker']), 'rm');

  ok(await skiff(d, ['run', '-d', '--name', 'web', ...runFlags, 'net:1', 'sleep', '120']), 'run web');
  assert.equal(ok(await docker(d, ['inspect', '-f', '{{(index .NetworkSettings.Networks "front").IPAddress}} {{(index .NetworkSettings.Networks "front").Aliases}}', 'web']), 'inspect web').trim(), '10.231.0.50 [www]');
  const lookup = ok(await skiff(d, ['run', '--rm', '--network', 'front', 'net:1', 'nslookup', 'www']), 'nslookup www');
  assert.match(lookup, /Address:\s*10\.231\.0\.50/, 'the alias resolves on front');
  await same(['port', 'web']);
  await same(['container', 'port', 'web', '80']);
  await same(['port', 'web', '80/tcp']);
  await same(['port', 'web', '8080']);
  await same(['port', 'web', '53/udp']);
  await same(['port', 'web', '9000']); // exposed, not published
  await same(['port', 'web', '81']);
  await same(['port', 'web', 'abc']);
  await same(['port', 'nosuch']);
  const ports = ok(await skiff(d, ['port', 'web']), 'port');
  assert.match(ports, /^8080\/tcp -> 127\.0\.0\.1:184(8\d|9\d)$/m, 'a host port from the range');
  assert.match(ports, /^53\/udp -> 127\.0\.0\.1:\d+$/m);
  assert.match(ports, /^9001\/tcp -> 0\.0\.0\.0:\d+$/m, '-P publishes the exposed ports');
  await same(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}', 'front']);

  // connect and disconnect
  ok(await skiff(d, ['network', 'connect', '--alias', 'api', '--ip', '10.232.0.77', 'back', 'web']), 'connect');
  assert.match(ok(await skiff(d, ['exec', 'web', 'ip', '-4', '-o', 'addr']), 'exec ip'), /eth1\s+inet 10\.232\.0\.77\/24/);
  await same(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}', 'back']);
  await same(['network', 'connect', 'back', 'web']); // already there
  await same(['network', 'connect', 'nowhere', 'web']);
  await same(['network', 'connect', 'back', 'nosuchctr']);
  await same(['network', 'rm', 'back']); // active endpoints
  ok(await skiff(d, ['network', 'disconnect', 'back', 'web']), 'disconnect');
  await same(['network', 'disconnect', 'back', 'web']); // not connected any more
  await same(['network', 'disconnect', '-f', 'back', 'nosuchctr']);
  await same(['network', 'inspect', '-f', '{{len .Containers}}', 'back']);

  // errors of run/create on the daemon side: unknown network, address outside the subnet
  await same(['run', '--rm', '--network', 'nowhere', 'net:1', 'true']);
  await same(['run', '--rm', '--network', 'back', '--ip', '10.231.0.9', 'net:1', 'true']);
  await same(['run', '--rm', '--network-alias', 'x', 'net:1', 'true']);

  // rm: several names, missing ones, -f
  created(await skiff(d, ['network', 'create', 'tmp1']), 'create tmp1');
  created(await skiff(d, ['network', 'create', 'tmp2']), 'create tmp2');
  const removed = await skiff(d, ['network', 'rm', 'tmp1', 'nosuch', 'tmp2']);
  assert.deepEqual({ code: removed.code, stdout: removed.stdout }, { code: 1, stdout: 'tmp1\ntmp2\n' });
  assert.equal(removed.stderr, (await docker(d, ['network', 'rm', 'nosuch'])).stderr);
  await same(['network', 'rm', 'nosuch', 'tmp1']);
  await same(['network', 'rm', '-f', 'nosuch']);
  await same(['network', 'rm', 'bridge']);

  // prune: the prompt (declined), a filter, then everything unused
  created(await skiff(d, ['network', 'create', '--label', 'keep=no', 'p1']), 'create p1');
  created(await skiff(d, ['network', 'create', 'p2']), 'create p2');
  await same(['network', 'prune'], 'n\n');
  await same(['network', 'prune'], '');
  const filtered = await skiff(d, ['network', 'prune', '--filter', 'label=keep=no'], 'y\n');
  assert.deepEqual({ code: filtered.code, stdout: filtered.stdout, stderr: filtered.stderr },
    { code: 0, stdout: 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] Deleted Networks:\np1\n\n', stderr: '' });
  const pruned = ok(await skiff(d, ['network', 'prune', '-f']), 'prune -f');
  assert.match(pruned, /^Deleted Networks:\n(?:[a-z0-9]+\n)+\n$/);
  assert.deepEqual(pruned.trim().split('\n').slice(1).sort(), ['back', 'dual', 'p2']);
  await same(['network', 'prune', '-f']); // nothing left to prune: no output
  await same(['network', 'prune', '--filter', 'until=nonsense', '-f']);
  await same(['network', 'ls']);
  ok(await skiff(d, ['rm', '-f', 'web']), 'rm web');
  assert.equal(ok(await skiff(d, ['network', 'rm', 'front']), 'rm front'), 'front\n');
  assert.deepEqual(ok(await docker(d, ['network', 'ls', '--format', '{{.Name}}']), 'ls').trim().split('\n'), ['bridge', 'host', 'none']);
});
