// docker-compose 1.29 (Debian's, on docker-py) drives a project against skiffd: a seed service fills
// a named volume, `web` serves it with busybox httpd once seed has completed and becomes healthy by
// a healthcheck on 127.0.0.1, and `client` fetches the page from `web` by its service name over the
// project's default network (with an IPAM pool). up / ps / logs / exec / run, a recreate through
// the old API docker-compose 1.x was written for, then down -v, and the API shows the containers,
// the network and the volume gone. The image is imported locally and named after a loopback
// registry that nothing listens on: compose finds it by inspect and never pulls.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { addedSince, linkNames, restoreOwnedHostNet, snapshotHostNet } from '../helpers/host-net.js';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';

const haveCompose = existsSync('/usr/bin/docker-compose') ? false : 'docker-compose is not installed (scripts/install-system-deps.sh)';
const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli || haveCompose;

const IMAGE = '127.0.0.1:9/skiff-test/compose-busybox:1';
const SUBNET = '10.246.0.0/24';
const PREFIXES = ['10.245.0.', '10.246.0.'];

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The Docker API over the daemon's socket (what compose left behind, seen without compose). */
function api<T>(d: Skiffd, method: string, path: string): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, path, method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (text === '' ? undefined : JSON.parse(text)) as T }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Each container's name and State (with its health log), for a failure's message. */
async function describeContainers(d: Skiffd): Promise<string> {
  try {
    const list = (await api<{ Id: string }[]>(d, 'GET', '/containers/json?all=1')).body;
    const states = await Promise.all(list.map(async (c) => {
      const x = (await api<{ Name: string; State: unknown }>(d, 'GET', `/containers/${c.Id}/json`)).body;
      return `${x.Name} ${JSON.stringify(x.State)}`;
    }));
    return states.join('\n');
  } catch (err) {
    return `(no answer: ${(err as Error).message})`;
  }
}

/** A daemon with its own default bridge, the busybox image, and the host put back after. */
async function setup(t: import('node:test').TestContext, bridge: string, bip: string): Promise<Skiffd & { hostNet: ReturnType<typeof snapshotHostNet>; work: string }> {
  // first registered, first run: the temp dir goes even if a later hook fails
  const work = await mkdtemp('/tmp/skiff-compose-');
  t.after(() => rm(work, { recursive: true, force: true }));
  const net = snapshotHostNet();
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test', bridge, bip } });
  // after the daemon's own hook (hooks run in the order registered): its containers are gone by then;
  // only this daemon's links and rules (other tests may run theirs meanwhile)
  t.after(() => restoreOwnedHostNet(net, { bridges: [bridge], prefixes: PREFIXES }));
  await mkdir(join(work, 'root/bin'), { recursive: true });
  await copyFile('/bin/busybox', join(work, 'root/bin/busybox'));
  for (const a of ['sh', 'nc', 'echo', 'cat', 'printf', 'sleep', 'nslookup', 'httpd', 'ip', 'true']) await symlink('busybox', join(work, `root/bin/${a}`));
  const tar = join(work, 'rootfs.tar');
  assert.equal((await runCmd('tar', ['-C', join(work, 'root'), '-cf', tar, '.'])).code, 0);
  ok(await docker(d, ['import', '-c', 'ENV PATH=/bin', '-c', 'EXPOSE 80', tar, IMAGE]), 'import');
  return { ...d, hostNet: net, work };
}

/** The compose file (JSON is YAML): seed → web (healthy) → client, a named volume, the default network's pool. */
function composeFile(): object {
  return {
    services: {
      seed: {
        image: IMAGE, network_mode: 'none', volumes: ['site:/data'],
        command: ['sh', '-c', 'echo "hello from the site volume" > /data/index.html'],
      },
      web: {
        image: IMAGE, volumes: ['site:/www:ro'], command: ['httpd', '-f', '-p', '80', '-h', '/www'],
        depends_on: { seed: { condition: 'service_completed_successfully' } },
        // 127.0.0.1 inside the container: its loopback must be up
        healthcheck: { test: ['CMD-SHELL', 'nc -w 1 127.0.0.1 80 </dev/null'], interval: '1s', timeout: '2s', retries: 60 },
      },
      client: {
        image: IMAGE, depends_on: { web: { condition: 'service_healthy' } },
        command: ['sh', '-c', 'printf "GET /index.html HTTP/1.0\\r\\n\\r\\n" | nc -w 5 web 80'],
      },
    },
    volumes: { site: {} },
    networks: { default: { ipam: { config: [{ subnet: SUBNET }] } } },
  };
}

test('docker-compose 1.29: up, ps, logs, exec, run, recreate over API 1.41, down -v', { skip, timeout: 240_000 }, async (t) => {
  const d = await setup(t, `skcp${process.pid % 100000}`, '10.245.0.1/24');
  const project = `skc${process.pid}`;
  const file = join(d.work, 'docker-compose.yml');
  await writeFile(file, JSON.stringify(composeFile(), null, 2));
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
  delete env['COMPOSE_API_VERSION'];
  const compose = async (args: string[], apiVersion?: string): Promise<CmdResult> => {
    const r = await runCmd('docker-compose', ['--ansi', 'never', '-p', project, '-f', file, ...args], { env: apiVersion === undefined ? env : { ...env, COMPOSE_API_VERSION: apiVersion }, timeoutMs: 120_000 });
    // a failure says what the daemon saw: every container's state (with its health log) and the daemon's log
    if (r.code !== 0) r.stderr += `\n--- containers:\n${await describeContainers(d)}\n--- skiffd log (tail):\n${d.log().slice(-8000)}`;
    return r;
  };
  const started = Math.floor(Date.now() / 1000);

  // up with the API version docker-py negotiates (skiffd's own)
  const up = await compose(['up', '-d']);
  ok(up, 'up');
  assert.match(up.stderr, new RegExp(`Creating network "${project}_default"`));
  assert.match(up.stderr, new RegExp(`Creating volume "${project}_site"`));
  const clientId = ok(await compose(['ps', '-q', 'client']), 'ps -q client').trim();
  assert.match(clientId, /^[0-9a-f]{64}$/);
  assert.equal((await api<{ StatusCode: number }>(d, 'POST', `/containers/${clientId}/wait`)).body.StatusCode, 0, 'the client fetched the page');
  const ps = ok(await compose(['ps']), 'ps');
  assert.match(ps, new RegExp(`^${project}_seed_1 .* Exit 0 `, 'm'));
  assert.match(ps, new RegExp(`^${project}_web_1 .* Up \\(healthy\\) `, 'm'));
  assert.match(ps, new RegExp(`^${project}_client_1 .* Exit 0 `, 'm'));
  const logs = ok(await compose(['logs', '--no-color', 'client']), 'logs client');
  assert.match(logs, /client_1 +\| HTTP\/1\.[01] 200 OK/);
  assert.match(logs, /client_1 +\| hello from the site volume/);

  // what compose made, through the API
  const network = (await api<{ Id: string; Name: string; Labels: Record<string, string>; IPAM: { Config: { Subnet: string }[] }; Containers: Record<string, { Name: string; IPv4Address: string }> }>(d, 'GET', `/networks/${project}_default`)).body;
  assert.equal(network.Labels['com.docker.compose.project'], project);
  assert.equal(network.Labels['com.docker.compose.network'], 'default');
  assert.equal(network.IPAM.Config[0]!.Subnet, SUBNET);
  const members = Object.values(network.Containers);
  assert.deepEqual(members.map((c) => c.Name), [`${project}_web_1`], 'only web is still running on the network');
  const webIp = members[0]!.IPv4Address.split('/')[0]!;
  assert.match(webIp, /^10\.246\.0\.\d+$/);
  const volume = (await api<{ Labels: Record<string, string> }>(d, 'GET', `/volumes/${project}_site`)).body;
  assert.equal(volume.Labels['com.docker.compose.volume'], 'site');

  // exec and run
  assert.equal(ok(await compose(['exec', '-T', 'web', 'cat', '/www/index.html']), 'exec').trim(), 'hello from the site volume');
  const lookup = ok(await compose(['run', '--rm', '-T', 'client', 'nslookup', 'web']), 'run nslookup');
  assert.match(lookup, new RegExp(`^Address:\\s+${webIp.replace(/\./g, '\\.')}$`, 'm'), 'the service name resolves to web');
  assert.match(ok(await compose(['run', '--rm', '-T', 'client']), 'run client'), /hello from the site volume/);

  // recreate through API 1.41 (docker-compose 1.x's era): it reads image inspect's ContainerConfig,
  // which docker (and skiffd) send only below API 1.45
  const webId = ok(await compose(['ps', '-q', 'web']), 'ps -q web').trim();
  ok(await compose(['up', '-d', '--force-recreate'], '1.41'), 'up --force-recreate (API 1.41)');
  const newWebId = ok(await compose(['ps', '-q', 'web'], '1.41'), 'ps -q web').trim();
  assert.notEqual(newWebId, webId, 'web was recreated');
  const newClientId = ok(await compose(['ps', '-q', 'client'], '1.41'), 'ps -q client').trim();
  assert.equal((await api<{ StatusCode: number }>(d, 'POST', `/containers/${newClientId}/wait`)).body.StatusCode, 0, 'the recreated client reached the recreated web');
  assert.match(ok(await compose(['logs', '--no-color', 'client'], '1.41'), 'logs'), /client_1 +\| hello from the site volume/);
  assert.equal(ok(await compose(['exec', '-T', 'web', 'cat', '/www/index.html'], '1.41'), 'exec (API 1.41)').trim(), 'hello from the site volume', 'the volume kept its content');

  // down -v: containers, network and volume gone
  const down = await compose(['down', '-v']);
  ok(down, 'down -v');
  assert.match(down.stderr, new RegExp(`Removing network ${project}_default`));
  assert.match(down.stderr, new RegExp(`Removing volume ${project}_site`));
  assert.deepEqual((await api<unknown[]>(d, 'GET', '/containers/json?all=1')).body, []);
  const nets = (await api<{ Name: string }[]>(d, 'GET', '/networks')).body.map((n) => n.Name).sort();
  assert.deepEqual(nets, ['bridge', 'host', 'none']);
  assert.equal((await api<unknown>(d, 'GET', `/networks/${project}_default`)).status, 404);
  const vols = (await api<{ Volumes: { Name: string }[] | null }>(d, 'GET', '/volumes')).body.Volumes ?? [];
  assert.deepEqual(vols.map((v) => v.Name), []);
  assert.ok(!linkNames().includes(`sk-${network.Id.slice(0, 12)}`), 'the network\'s bridge is removed');
  const left = addedSince(d.hostNet).rules.filter((r) => r.includes('10.246.'));
  assert.deepEqual(left, [], 'no rule of the project\'s network is left');

  // compose inspected the image and never pulled it
  const now = Math.ceil(Date.now() / 1000) + 1;
  const filters = encodeURIComponent(JSON.stringify({ type: ['image'] }));
  const events = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: d.socket, path: `/events?since=${started}&until=${now}&filters=${filters}`, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve(text));
    });
    req.once('error', reject);
    req.end();
  });
  const actions = events.split('\n').filter((l) => l.trim() !== '').map((l) => (JSON.parse(l) as { Action: string }).Action);
  assert.ok(!actions.includes('pull'), `no pull: ${actions.join(' ')}`);
});
