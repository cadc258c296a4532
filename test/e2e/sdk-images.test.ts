// docker-py (Debian's python3-docker) and dockerode drive skiffd's image API as they drive docker:
// pull from a local registry, list, get/inspect, tag, history, save + load, remove, prune, info.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { Pusher, RegistryClient } from '../../src/registry/index.js';
import { runCmd, startSkiffd } from '../helpers/skiffd.js';
import { buildImage, busyboxLayer, startRegistry, tempStore } from '../integration/registry/registry-helpers.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;
const haveDockerPy = existsSync('/usr/lib/python3/dist-packages/docker') ? false : 'python3-docker is not installed (scripts/install-system-deps.sh)';

async function pushedImage(t: Parameters<typeof startRegistry>[0]) {
  const reg = await startRegistry(t);
  const src = await tempStore(t);
  const img = await buildImage(src, [await busyboxLayer(), [{ name: 'etc/motd', data: Buffer.from('hi\n') }]]);
  const client = new RegistryClient();
  t.after(() => client.destroy());
  const ref = `${reg.host}/sdk/bb:1`;
  await new Pusher(client).push(ref, src, img.manifestDescriptor);
  return { ref, id: img.configDescriptor.digest };
}

const PY = String.raw`
import json, sys, docker
base_url, ref = sys.argv[1], sys.argv[2]
c = docker.DockerClient(base_url=base_url, version='auto')
out = {}
img = c.images.pull(ref)
out['pulled'] = img.id
out['tags'] = img.tags
out['list'] = [i.id for i in c.images.list()]
img.tag('sdk/py', 'v1')
out['get'] = c.images.get('sdk/py:v1').id
out['history'] = len(img.history())
data = b''.join(img.save(named=True))
c.images.remove('sdk/py:v1')
c.images.remove(ref)
try:
    c.images.get(ref)
    out['gone'] = False
except docker.errors.ImageNotFound as e:
    out['gone'] = True
    out['notfound'] = str(e.explanation)
loaded = c.images.load(data)
out['loaded'] = [i.id for i in loaded]
out['prune'] = c.images.prune()
out['info_images'] = c.info()['Images']
out['api'] = c.version()['ApiVersion']
print(json.dumps(out))
`;

test('docker-py: pull, list, get, tag, history, save, remove, load, prune, info', { skip: skip || haveDockerPy, timeout: 120_000 }, async (t) => {
  const { ref, id } = await pushedImage(t);
  const d = await startSkiffd(t);
  const script = join(d.dir, 'sdk.py');
  await writeFile(script, PY);
  const r = await runCmd('/usr/bin/python3', [script, d.host, ref]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(out.pulled, id);
  assert.deepEqual(out.tags, [ref]);
  assert.deepEqual(out.list, [id]);
  assert.equal(out.get, id);
  assert.equal(out.history, 2);
  assert.equal(out.gone, true);
  assert.match(String(out.notfound), /No such image/);
  assert.deepEqual(out.loaded, [id]);
  assert.deepEqual(out.prune, { ImagesDeleted: null, SpaceReclaimed: 0 });
  assert.equal(out.info_images, 1);
  assert.equal(out.api, '1.50');
});

test('dockerode: pull with progress, listImages, inspect, tag, history, get → load, remove', { skip, timeout: 120_000 }, async (t) => {
  const { ref, id } = await pushedImage(t);
  const d = await startSkiffd(t);
  const docker = new Docker({ socketPath: d.socket });
  const events: { status?: string; id?: string }[] = [];
  const stream = await docker.pull(ref);
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve()), (e: { status?: string }) => events.push(e)));
  assert.ok(events.some((e) => e.status === 'Pull complete'));
  assert.ok(events.some((e) => e.status === `Status: Downloaded newer image for ${ref}`));
  const list = await docker.listImages();
  assert.deepEqual(list.map((i) => i.Id), [id]);
  const image = docker.getImage(ref);
  assert.equal((await image.inspect()).Id, id);
  await image.tag({ repo: 'sdk/node', tag: 'v1' });
  assert.equal((await docker.getImage('sdk/node:v1').inspect()).Id, id);
  assert.equal((await image.history()).length, 2);
  const tarStream = await image.get();
  const chunks: Buffer[] = [];
  for await (const c of tarStream) chunks.push(c as Buffer);
  const removed = await docker.getImage('sdk/node:v1').remove();
  assert.deepEqual(removed, [{ Untagged: 'sdk/node:v1' }]);
  await image.remove({ force: true });
  await assert.rejects(docker.getImage(ref).inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
  const loadStream = await docker.loadImage(Buffer.concat(chunks) as unknown as NodeJS.ReadableStream);
  let text = '';
  for await (const c of loadStream) text += (c as Buffer).toString();
  assert.match(text, new RegExp(`Loaded image: ${ref.replace(/[.]/g, '\\.')}`));
  assert.equal((await docker.getImage(ref).inspect()).Id, id);
});

const PY_CONTAINERS = String.raw`
import json, sys, docker
base_url, image = sys.argv[1], sys.argv[2]
c = docker.DockerClient(base_url=base_url, version='auto')
out = {}
out['run'] = c.containers.run(image, ['sh', '-c', 'echo hello; echo oops >&2'], network_mode='none', remove=True, stderr=True).decode()
ctr = c.containers.run(image, ['sh', '-c', 'echo started; sleep 30'], detach=True, network_mode='none', name='pyd', mem_limit='64m')
out['status'] = c.containers.get('pyd').status
r = ctr.exec_run(['sh', '-c', 'echo in-exec; exit 3'])
out['exec'] = [r.exit_code, r.output.decode()]
out['logs'] = ctr.logs().decode()
out['attach_logs'] = ctr.attach(stdout=True, stderr=True, logs=True).decode()  # the replay alone: ends at once
out['top'] = len(ctr.top()['Processes'])
out['stats_limit'] = ctr.stats(stream=False)['memory_stats']['limit']
ctr.stop(timeout=1)
out['wait'] = ctr.wait()['StatusCode']
ctr.remove()
try:
    c.containers.get('pyd')
    out['gone'] = False
except docker.errors.NotFound:
    out['gone'] = True
try:
    c.containers.run(image, ['nosuchcmd'], network_mode='none', remove=True)
    out['missing'] = 'ran'
except docker.errors.APIError as e:
    out['missing'] = 'apierror'
except docker.errors.ContainerError as e:
    out['missing'] = 'containererror %d' % e.exit_status
print(json.dumps(out))
`;

test('docker-py: containers.run (attached, detached), exec_run, logs, top, stats, stop, wait, remove', { skip: skip || haveDockerPy, timeout: 120_000 }, async (t) => {
  const { ref } = await pushedImage(t);
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  assert.equal((await runCmd('docker', ['-H', d.host, 'pull', '-q', ref])).code, 0);
  const script = join(d.dir, 'containers.py');
  await writeFile(script, PY_CONTAINERS);
  const r = await runCmd('/usr/bin/python3', [script, d.host, ref]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(out.run, 'hello\noops\n');
  assert.equal(out.status, 'running');
  assert.deepEqual(out.exec, [3, 'in-exec\n']);
  assert.equal(out.logs, 'started\n');
  assert.equal(out.attach_logs, 'started\n');
  assert.ok(Number(out.top) >= 1); // busybox sh execs its last command: sleep alone
  assert.equal(out.stats_limit, 64 * 1024 * 1024);
  assert.equal(out.wait, 137); // sleep as pid 1 ignores SIGTERM: killed after the timeout, as with docker
  assert.equal(out.gone, true);
  assert.match(String(out.missing), /^(apierror|containererror 127)$/);
});

test('dockerode: createContainer, attach, start, wait, exec, logs, remove', { skip, timeout: 120_000 }, async (t) => {
  const { ref } = await pushedImage(t);
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const dockerode = new Docker({ socketPath: d.socket });
  const stream = await dockerode.pull(ref);
  await new Promise<void>((resolve, reject) => dockerode.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
  const ctr = await dockerode.createContainer({ Image: ref, Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 4'], HostConfig: { NetworkMode: 'none' } });
  const attached = await ctr.attach({ stream: true, stdout: true, stderr: true });
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  const { PassThrough } = await import('node:stream');
  const so = new PassThrough().on('data', (c: Buffer) => outChunks.push(c));
  const se = new PassThrough().on('data', (c: Buffer) => errChunks.push(c));
  dockerode.modem.demuxStream(attached, so, se);
  const ended = new Promise((r) => attached.once('end', r));
  const waiting = ctr.wait({ condition: 'next-exit' }); // not-running returns at once for a created container, as docker's
  await ctr.start();
  assert.equal((await waiting).StatusCode, 4);
  await ended;
  assert.equal(Buffer.concat(outChunks).toString(), 'out\n');
  assert.equal(Buffer.concat(errChunks).toString(), 'err\n');
  const logs = await ctr.logs({ stdout: true, stderr: true });
  assert.match(logs.toString('latin1'), /out\n[\s\S]*err\n/);
  await ctr.remove();

  const svc = await dockerode.createContainer({ Image: ref, Cmd: ['sh', '-c', 'sleep 30'], HostConfig: { NetworkMode: 'none' } });
  await svc.start();
  const exec = await svc.exec({ Cmd: ['sh', '-c', 'echo from-exec; exit 6'], AttachStdout: true, AttachStderr: true });
  const execStream = await exec.start({ hijack: true, stdin: false });
  const execEnded = new Promise((r) => execStream.once('end', r));
  const execOut: Buffer[] = [];
  const eo = new PassThrough().on('data', (c: Buffer) => execOut.push(c));
  dockerode.modem.demuxStream(execStream, eo, new PassThrough());
  await execEnded;
  assert.equal(Buffer.concat(execOut).toString(), 'from-exec\n');
  assert.equal((await exec.inspect()).ExitCode, 6);
  await svc.remove({ force: true });
});
