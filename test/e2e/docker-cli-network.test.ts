// The default bridge network through skiffd with the docker CLI: a container gets an address on the
// daemon's bridge (its own bridge name and subnet here), reaches another container, serves a port
// published on 127.0.0.1 to the host, and nothing is left after rm: no veth, no netns, and the
// host's iptables rules and ip_forward as they were.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { addedSince, linkNames, restoreHostNet, snapshotHostNet } from '../helpers/host-net.js';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult } from '../helpers/skiffd.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;

function ok(r: CmdResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function readFrom(port: number): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port });
        let data = '';
        s.setEncoding('utf8');
        s.on('data', (c: string) => { data += c; });
        s.once('end', () => resolve(data));
        s.once('error', reject);
      });
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50)); // the server in the container is starting
    }
  }
}

test('default bridge: addresses, container to container, a published port, nothing left after rm', { skip, timeout: 120_000 }, async (t) => {
  const net = snapshotHostNet();
  const linksBefore = linkNames();
  const bridge = `skt${process.pid % 100000}`;
  t.after(() => {
    try { execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' }); } catch { /* not created */ }
    restoreHostNet(net);
  });
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test', bridge, bip: '10.213.0.1/24' } });
  const dir = await mkdtemp('/tmp/skiff-net-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'root/bin'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'root/bin/busybox'));
  for (const a of ['sh', 'ip', 'nc', 'echo', 'cat', 'sleep']) await symlink('busybox', join(dir, `root/bin/${a}`));
  const tar = join(dir, 'rootfs.tar');
  assert.equal((await runCmd('tar', ['-C', join(dir, 'root'), '-cf', tar, '.'])).code, 0);
  ok(await docker(d, ['import', '-c', 'ENV PATH=/bin', tar, 'net:1']), 'import');

  const addr = ok(await docker(d, ['run', '--rm', 'net:1', 'ip', '-4', '-o', 'addr', 'show', 'eth0']), 'ip addr');
  assert.match(addr, /inet 10\.213\.0\.\d+\/24/);

  ok(await docker(d, ['run', '-d', '--name', 'server', '-p', '127.0.0.1:18473:80', 'net:1', 'nc', '-ll', '-p', '80', '-e', 'echo', 'hello from the container']), 'run server');
  const ip = ok(await docker(d, ['inspect', '-f', '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}}', 'server']), 'inspect').trim();
  assert.match(ip, /^10\.213\.0\.\d+ 10\.213\.0\.1$/);
  const ps = ok(await docker(d, ['ps', '--format', '{{.Ports}}']), 'ps ports');
  assert.equal(ps.trim(), '127.0.0.1:18473->80/tcp');
  assert.equal(ok(await docker(d, ['port', 'server']), 'port').trim(), '80/tcp -> 127.0.0.1:18473');
  assert.equal(await readFrom(18473), 'hello from the container\n');
  const peer = ok(await docker(d, ['run', '--rm', 'net:1', 'nc', ip.split(' ')[0]!, '80']), 'container to container');
  assert.equal(peer, 'hello from the container\n');

  ok(await docker(d, ['rm', '-f', 'server']), 'rm');
  assert.deepEqual(linkNames().filter((l) => !linksBefore.includes(l) && l !== bridge), [], 'no veth left');
  const added = addedSince(net);
  assert.deepEqual(added.rules.filter((r) => !/CNI-FORWARD|CNI-ADMIN|POSTROUTING -s|CNI-HOSTPORT-|-j CNI-HOSTPORT|SKIFF-/.test(r) || /18473|10\.213\.0\.\d+\/32/.test(r)), [], `rules of the container left: ${added.rules.join('\n')}`);
});
