// `--user name|uid[:group|gid]` and `--group-add` resolved against the container's /etc/passwd and
// /etc/group as runc's libcontainer/user (GetExecUser, GetAdditionalGroups) does for dockerd. The
// files are read with openat2(RESOLVE_IN_ROOT), so a symlinked /etc/passwd resolves inside the rootfs
// and never reaches the host's files.

import { invalidArgument } from '../../base/index.js';
import { readFileInRoot } from '../../sys/index.js';

const MIN_ID = 0;
const MAX_ID = 2147483647;
const ERR_RANGE = `uids and gids must be in range ${MIN_ID}-${MAX_ID}`;

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** The primary gid, then /etc/group memberships (implicit form only), then --group-add: dockerd's order. */
  additionalGids: number[];
  home: string;
}

/** Go's strconv.Atoi on a field (parse errors give 0, as runc's parseLine ignores them). */
function atoiOrZero(s: string): number {
  const n = goAtoi(s);
  return n ?? 0;
}

/** strconv.Atoi: optional sign and decimal digits, within int64; undefined otherwise. */
function goAtoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

function lines(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return lines(text).map((l) => {
    const f = l.split(':');
    return { name: f[0] ?? '', uid: atoiOrZero(f[2] ?? ''), gid: atoiOrZero(f[3] ?? ''), home: f[5] ?? '' };
  });
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return lines(text).map((l) => {
    const f = l.split(':');
    const list = f[3] ?? '';
    return { name: f[0] ?? '', gid: atoiOrZero(f[2] ?? ''), members: list === '' ? [] : list.split(',') };
  });
}

/** The contents of /etc/passwd and /etc/group read safely inside `rootfs` (undefined when missing). */
export function readUserFiles(rootfs: string): { passwd: string | undefined; group: string | undefined } {
  return { passwd: readFileInRoot(rootfs, '/etc/passwd'), group: readFileInRoot(rootfs, '/etc/group') };
}

/** runc's GetExecUser, defaults uid 0 gid 0 home "/". */
export function resolveExecUser(spec: string, passwdText: string | undefined, groupText: string | undefined): { uid: number; gid: number; sgids: number[]; home: string } {
  const colon = spec.indexOf(':');
  const userArg = colon < 0 ? spec : spec.slice(0, colon);
  // runc's parseLine splits on every ':'; the group is the second field only.
  const groupArg = colon < 0 ? '' : spec.slice(colon + 1).split(':')[0]!;
  const uidArg = goAtoi(userArg);
  const gidArg = goAtoi(groupArg);
  let uid = 0;
  let gid = 0;
  let home = '/';
  const users = parsePasswd(passwdText).filter((u) => (userArg === '' ? u.uid === 0 : uidArg !== undefined ? u.uid === uidArg : u.name === userArg));
  let matchedName = '';
  if (users.length > 0) {
    matchedName = users[0]!.name;
    uid = users[0]!.uid;
    gid = users[0]!.gid;
    home = users[0]!.home;
  } else if (userArg !== '') {
    if (uidArg === undefined) throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`, { field: 'Config.User' });
    if (uidArg < MIN_ID || uidArg > MAX_ID) throw invalidArgument(ERR_RANGE, { field: 'Config.User' });
    uid = uidArg;
  }
  const sgids: number[] = [];
  if (groupArg !== '' || matchedName !== '') {
    const groups = parseGroup(groupText).filter((g) => {
      if (groupArg === '') return g.members.includes(matchedName);
      return gidArg !== undefined ? g.gid === gidArg : g.name === groupArg;
    });
    if (groupArg !== '') {
      if (groups.length > 0) gid = groups[0]!.gid;
      else {
        if (gidArg === undefined) throw invalidArgument(`unable to find group ${groupArg}: no matching entries in group file`, { field: 'Config.User' });
        if (gidArg < MIN_ID || gidArg > MAX_ID) throw invalidArgument(ERR_RANGE, { field: 'Config.User' });
        gid = gidArg;
      }
    } else {
      for (const g of groups) sgids.push(g.gid);
    }
  }
  return { uid, gid, sgids, home };
}

/** runc's GetAdditionalGroups for --group-add (names or numeric gids; first match wins). */
export function resolveAdditionalGroups(additional: readonly string[], groupText: string | undefined): number[] {
  const groups = parseGroup(groupText).filter((g) => additional.some((ag) => g.name === ag || String(g.gid) === ag));
  const seen = new Set<number>();
  const out: number[] = [];
  for (const ag of additional) {
    let found = false;
    for (const g of groups) {
      if ((g.name === ag || String(g.gid) === ag) && !seen.has(g.gid)) {
        seen.add(g.gid);
        out.push(g.gid);
        found = true;
        break;
      }
    }
    if (!found) {
      const n = /^[+-]?\d+$/.test(ag) ? Number(ag) : undefined;
      if (n === undefined) throw invalidArgument(`Unable to find group ${ag}`, { field: 'HostConfig.GroupAdd' });
      if (n < MIN_ID || n > MAX_ID) throw invalidArgument(ERR_RANGE, { field: 'HostConfig.GroupAdd' });
      if (!seen.has(n)) {
        seen.add(n);
        out.push(n);
      }
    }
  }
  return out;
}

/**
 * dockerd's getUser: the user of `spec` ("" = root) inside `rootfs`, additional gids = [gid, memberships
 * (implicit form only), GroupAdd].
 */
export function resolveContainerUser(rootfs: string, spec: string, groupAdd: readonly string[] = []): ResolvedUser {
  const { passwd, group } = readUserFiles(rootfs);
  return resolveUserFromFiles(spec, groupAdd, passwd, group);
}

/** resolveContainerUser on file contents already read (pure). */
export function resolveUserFromFiles(spec: string, groupAdd: readonly string[], passwd: string | undefined, group: string | undefined): ResolvedUser {
  const u = resolveExecUser(spec, passwd, group);
  const extra = groupAdd.length > 0 ? resolveAdditionalGroups(groupAdd, group) : [];
  return { uid: u.uid, gid: u.gid, additionalGids: [u.gid, ...u.sgids, ...extra], home: u.home };
}
