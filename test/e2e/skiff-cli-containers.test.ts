// bin/skiff's container verbs against skiffd print what the docker CLI prints against skiffd.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { docker, haveDockerCli, runCmd, startSkiffd, type CmdResult, type Skiffd } from '../helpers/skiffd.js';
import { repoRoot } from '../helpers/repo.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : haveDockerCli;
const NET = ['--network', 'none'];

function skiff(d: Skiffd, args: string[], input?: string): Promise<CmdResult> {
  return runCmd(join(repoRoot(), 'bin', 'skiff'), ['-H', d.host, ...args], { env: { ...process.env, DOCKER_CONFIG: join(d.dir, 'skiff-config') }, ...(input === undefined ? {} : { input }) });
}

test('skiff and docker agree on container verbs against skiffd', { skip, timeout: 180_000 }, async (t) => {
  const d = await startSkiffd(t, { daemonJson: { 'cgroup-parent': 'skiff-test' } });
  const dir = await mkdtemp('/tmp/skiff-clic-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'root/bin'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'root/bin/busybox'));
  for (const a of ['sh', 'echo', 'cat', 'sleep']) await symlink('busybox', join(dir, `root/bin/${a}`));
  assert.equal((await runCmd('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'r.tar'), '.'])).code, 0);
  assert.equal((await skiff(d, ['import', '-c', 'ENV PATH=/bin', join(dir, 'r.tar'), 'bb:1'])).code, 0);

  const same = async (args: string[], input?: string, normalise: (s: string) => string = (s) => s): Promise<CmdResult> => {
    const [a, b] = [await docker(d, args, input === undefined ? {} : { input }), await skiff(d, args, input)];
    assert.deepEqual({ code: b.code, stdout: normalise(b.stdout), stderr: normalise(b.stderr) },
      { code: a.code, stdout: normalise(a.stdout), stderr: normalise(a.stderr) }, `skiff ${args.join(' ')}`);
    return b;
  };
  await same(['run', '--rm', ...NET, 'bb:1', 'echo', 'hi']);
  await same(['run', '--rm', ...NET, 'bb:1', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  await same(['run', '-i', '--rm', ...NET, 'bb:1', 'cat'], 'piped\n');
  await same(['run', '--rm', ...NET, 'bb:1', 'nosuchcmd'], undefined, (s) => s.replace(/^(docker|skiff): /gm, '').replace(/'(docker|skiff) run --help'/g, ''));

  const id = (await skiff(d, ['run', '-d', '--name', 'svc', ...NET, 'bb:1', 'sh', '-c', 'echo started; sleep 60'])).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await same(['ps', '--format', '{{.ID}} {{.Image}} {{.Command}} {{.Names}}']);
  await same(['ps', '-q', '--no-trunc']);
  await same(['exec', 'svc', 'echo', 'in']);
  await same(['exec', '-i', 'svc', 'cat'], 'exec stdin\n');
  await same(['exec', 'svc', 'sh', '-c', 'exit 5']);
  await same(['logs', 'svc']);
  await same(['inspect', '-f', '{{.State.Status}} {{.Name}} {{.Config.Image}}', 'svc']);
  await same(['rm', 'svc']);
  assert.equal((await skiff(d, ['stop', '-t', '1', 'svc'])).stdout, 'svc\n');
  await same(['wait', 'svc']);
  assert.equal((await skiff(d, ['rm', 'svc'])).stdout, 'svc\n');
  await same(['rm', 'svc']); // both: No such container
  await same(['volume', 'create', 'v1']);
  await same(['volume', 'ls']);
  assert.equal((await skiff(d, ['volume', 'rm', 'v1'])).stdout, 'v1\n');
  await same(['volume', 'rm', 'v1']);

  // system prune: the question (declined), then the same report for the same leftovers
  await same(['system', 'prune', '--volumes'], 'n\n');
  await same(['system', 'prune', '-a'], 'no\n');
  const leftovers = async (): Promise<void> => {
    assert.equal((await skiff(d, ['create', ...NET, 'bb:1', 'true'])).code, 0);
    assert.equal((await skiff(d, ['network', 'create', 'unused'])).code, 0);
  };
  await leftovers();
  const fromDocker = await docker(d, ['system', 'prune', '-f']);
  await leftovers();
  const fromSkiff = await skiff(d, ['system', 'prune', '-f']);
  const ids = (x: string): string => x.replace(/[0-9a-f]{64}/g, '<id>');
  assert.equal(fromSkiff.code, 0, fromSkiff.stderr);
  assert.equal(ids(fromSkiff.stdout), ids(fromDocker.stdout));
  assert.match(fromSkiff.stdout, /Deleted Containers:\n<id>|Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Networks:\nunused\n/);
});
