import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveContainerUser, resolveUserFromFiles } from '../../../src/engine/spec/index.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nsvc:x:1001:1001::/srv:/bin/false\n';
const GROUP = 'root:x:0:\napp:x:1000:\nextra:x:1001:app\nwheel:x:10:app,svc\naudio:x:29:\n';

function rootfs(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-spec-user-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc/passwd'), PASSWD);
  writeFileSync(join(dir, 'etc/group'), GROUP);
  return dir;
}

test('user by name, uid, uid:gid and names; implicit memberships only without a group', (t) => {
  const root = rootfs(t);
  assert.deepEqual(resolveContainerUser(root, ''), { uid: 0, gid: 0, additionalGids: [0], home: '/root' });
  assert.deepEqual(resolveContainerUser(root, 'app'), { uid: 1000, gid: 1000, additionalGids: [1000, 1001, 10], home: '/home/app' });
  assert.deepEqual(resolveContainerUser(root, '1000').additionalGids, [1000, 1001, 10]);
  assert.deepEqual(resolveContainerUser(root, 'app:audio'), { uid: 1000, gid: 29, additionalGids: [29], home: '/home/app' });
  assert.deepEqual(resolveContainerUser(root, '1000:5'), { uid: 1000, gid: 5, additionalGids: [5], home: '/home/app' });
  // a numeric uid with no passwd entry is fine, gid 0
  assert.deepEqual(resolveContainerUser(root, '4242'), { uid: 4242, gid: 0, additionalGids: [0], home: '/' });
  // --group-add by name and number, after the memberships
  assert.deepEqual(resolveContainerUser(root, 'app', ['audio', '777']).additionalGids, [1000, 1001, 10, 29, 777]);
});

test("missing user or group: docker's errors", (t) => {
  const root = rootfs(t);
  assert.throws(() => resolveContainerUser(root, 'nobody'), { code: 'InvalidArgument', message: 'unable to find user nobody: no matching entries in passwd file' });
  assert.throws(() => resolveContainerUser(root, 'app:nogroup'), { code: 'InvalidArgument', message: 'unable to find group nogroup: no matching entries in group file' });
  assert.throws(() => resolveContainerUser(root, 'app', ['nosuch']), { code: 'InvalidArgument', message: 'Unable to find group nosuch' });
  // no passwd file at all: only numeric users work
  assert.throws(() => resolveUserFromFiles('app', [], undefined, undefined), /unable to find user app/);
  assert.deepEqual(resolveUserFromFiles('5:6', [], undefined, undefined), { uid: 5, gid: 6, additionalGids: [6], home: '/' });
});

test("a /etc/passwd symlinked to a host file is resolved inside the rootfs, never read from the host", (t) => {
  const root = rootfs(t);
  const hostDir = mkdtempSync(join(tmpdir(), 'skiff-spec-host-'));
  t.after(() => rmSync(hostDir, { recursive: true, force: true }));
  writeFileSync(join(hostDir, 'passwd'), 'evil:x:4242:4242::/:/bin/sh\n');
  rmSync(join(root, 'etc/passwd'));
  symlinkSync(join(hostDir, 'passwd'), join(root, 'etc/passwd'));
  assert.throws(() => resolveContainerUser(root, 'evil'), /unable to find user evil: no matching entries in passwd file/);
  // a relative link climbing out resolves to the rootfs's own files
  rmSync(join(root, 'etc/passwd'));
  symlinkSync('../../../../../../../../etc/group', join(root, 'etc/passwd'));
  assert.throws(() => resolveContainerUser(root, 'evil'), /unable to find user evil/);
});
