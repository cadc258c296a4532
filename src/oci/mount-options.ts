// An OCI mount's `options` → mount(2) flags, propagation, mount_setattr(2) recursive attributes and
// the filesystem data string, with runc's table (libcontainer/specconv/spec_linux.go parseMountOptions).
// Anything not in a table is filesystem data, in order. Pure.

import { MS, MOUNT_ATTR } from './mount-flags.js';

export interface ParsedMountOptions {
  /** MS_* flags to set. */
  flags: number;
  /** MS_* flags an option explicitly cleared (rw, suid…): a bind remount must clear them, not keep them. */
  clearFlags: number;
  /** One mount(2) call per entry, in order (MS_PRIVATE|MS_REC …). */
  propagation: number[];
  /** mount_setattr(AT_RECURSIVE) attr_set / attr_clr for the r* options (rro, rnosuid…). */
  recAttrSet: number;
  recAttrClr: number;
  /** Comma-joined filesystem data (mode=755,size=65536k…). */
  data: string;
  /** Runtime extensions, in order, without duplicates: tmpcopyup, idmap, ridmap. */
  extensions: MountExtension[];
}

export type MountExtension = 'tmpcopyup' | 'idmap' | 'ridmap';

interface FlagEntry { clear: boolean; flag: number }

// "acl" is not mapped to MS_POSIXACL (runc#3738): it is filesystem data.
const MOUNT_FLAGS: Readonly<Record<string, FlagEntry>> = {
  async: { clear: true, flag: MS.SYNCHRONOUS },
  atime: { clear: true, flag: MS.NOATIME },
  bind: { clear: false, flag: MS.BIND },
  // runc lets "defaults" fall through to data (its flag is 0); it means "no flags", so it is dropped
  defaults: { clear: false, flag: 0 },
  dev: { clear: true, flag: MS.NODEV },
  diratime: { clear: true, flag: MS.NODIRATIME },
  dirsync: { clear: false, flag: MS.DIRSYNC },
  exec: { clear: true, flag: MS.NOEXEC },
  iversion: { clear: false, flag: MS.I_VERSION },
  lazytime: { clear: false, flag: MS.LAZYTIME },
  loud: { clear: true, flag: MS.SILENT },
  mand: { clear: false, flag: MS.MANDLOCK },
  noatime: { clear: false, flag: MS.NOATIME },
  nodev: { clear: false, flag: MS.NODEV },
  nodiratime: { clear: false, flag: MS.NODIRATIME },
  noexec: { clear: false, flag: MS.NOEXEC },
  noiversion: { clear: true, flag: MS.I_VERSION },
  nolazytime: { clear: true, flag: MS.LAZYTIME },
  nomand: { clear: true, flag: MS.MANDLOCK },
  norelatime: { clear: true, flag: MS.RELATIME },
  nostrictatime: { clear: true, flag: MS.STRICTATIME },
  nosuid: { clear: false, flag: MS.NOSUID },
  nosymfollow: { clear: false, flag: MS.NOSYMFOLLOW },
  rbind: { clear: false, flag: MS.BIND | MS.REC },
  relatime: { clear: false, flag: MS.RELATIME },
  remount: { clear: false, flag: MS.REMOUNT },
  ro: { clear: false, flag: MS.RDONLY },
  rw: { clear: true, flag: MS.RDONLY },
  silent: { clear: false, flag: MS.SILENT },
  strictatime: { clear: false, flag: MS.STRICTATIME },
  suid: { clear: true, flag: MS.NOSUID },
  sync: { clear: false, flag: MS.SYNCHRONOUS },
  symfollow: { clear: true, flag: MS.NOSYMFOLLOW },
};

const PROPAGATION: Readonly<Record<string, number>> = {
  rprivate: MS.PRIVATE | MS.REC,
  private: MS.PRIVATE,
  rslave: MS.SLAVE | MS.REC,
  slave: MS.SLAVE,
  rshared: MS.SHARED | MS.REC,
  shared: MS.SHARED,
  runbindable: MS.UNBINDABLE | MS.REC,
  unbindable: MS.UNBINDABLE,
};

const REC_ATTRS: Readonly<Record<string, FlagEntry>> = {
  rro: { clear: false, flag: MOUNT_ATTR.RDONLY },
  rrw: { clear: true, flag: MOUNT_ATTR.RDONLY },
  rnosuid: { clear: false, flag: MOUNT_ATTR.NOSUID },
  rsuid: { clear: true, flag: MOUNT_ATTR.NOSUID },
  rnodev: { clear: false, flag: MOUNT_ATTR.NODEV },
  rdev: { clear: true, flag: MOUNT_ATTR.NODEV },
  rnoexec: { clear: false, flag: MOUNT_ATTR.NOEXEC },
  rexec: { clear: true, flag: MOUNT_ATTR.NOEXEC },
  rnodiratime: { clear: false, flag: MOUNT_ATTR.NODIRATIME },
  rdiratime: { clear: true, flag: MOUNT_ATTR.NODIRATIME },
  rrelatime: { clear: false, flag: MOUNT_ATTR.RELATIME },
  rnorelatime: { clear: true, flag: MOUNT_ATTR.RELATIME },
  rnoatime: { clear: false, flag: MOUNT_ATTR.NOATIME },
  ratime: { clear: true, flag: MOUNT_ATTR.NOATIME },
  rstrictatime: { clear: false, flag: MOUNT_ATTR.STRICTATIME },
  rnostrictatime: { clear: true, flag: MOUNT_ATTR.STRICTATIME },
  rnosymfollow: { clear: false, flag: MOUNT_ATTR.NOSYMFOLLOW },
  rsymfollow: { clear: true, flag: MOUNT_ATTR.NOSYMFOLLOW },
};

const EXTENSIONS: ReadonlySet<string> = new Set<MountExtension>(['tmpcopyup', 'idmap', 'ridmap']);

/** Every option name the parser gives a meaning to (for `features`); the rest is data. */
export const KNOWN_MOUNT_OPTIONS: readonly string[] = [
  ...Object.keys(MOUNT_FLAGS), ...Object.keys(PROPAGATION), ...Object.keys(REC_ATTRS), ...EXTENSIONS,
].sort();

export function isPropagationOption(option: string): boolean {
  return PROPAGATION[option] !== undefined;
}

/** The propagation flags of a `rootfsPropagation` value, or undefined if runc would refuse it. */
export function propagationFlags(option: string): number | undefined {
  return PROPAGATION[option];
}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  let flags = 0;
  let clearFlags = 0;
  let recAttrSet = 0;
  let recAttrClr = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  const extensions: MountExtension[] = [];
  for (const o of options) {
    const f = Object.hasOwn(MOUNT_FLAGS, o) ? MOUNT_FLAGS[o] : undefined;
    const rec = Object.hasOwn(REC_ATTRS, o) ? REC_ATTRS[o] : undefined;
    if (f !== undefined) {
      // a later option wins over an earlier opposite one (ro then rw = rw)
      if (f.clear) {
        flags &= ~f.flag;
        clearFlags |= f.flag;
      } else {
        flags |= f.flag;
        clearFlags &= ~f.flag;
      }
    } else if (Object.hasOwn(PROPAGATION, o)) {
      propagation.push(PROPAGATION[o]!);
    } else if (rec !== undefined) {
      if (rec.clear) {
        recAttrClr |= rec.flag;
        recAttrSet &= ~rec.flag;
      } else {
        recAttrSet |= rec.flag;
        recAttrClr &= ~rec.flag;
        // mount_setattr(2): an access-time mode in attr_set needs MOUNT_ATTR__ATIME in attr_clr
        if ((rec.flag & MOUNT_ATTR._ATIME) === rec.flag) recAttrClr |= MOUNT_ATTR._ATIME;
      }
    } else if (EXTENSIONS.has(o)) {
      if (!extensions.includes(o as MountExtension)) extensions.push(o as MountExtension);
    } else {
      data.push(o);
    }
  }
  return { flags, clearFlags, propagation, recAttrSet, recAttrClr, data: data.join(','), extensions };
}

/** True when the options make this a bind mount (bind or rbind), whatever `type` says. */
export function isBindMount(options: readonly string[] = []): boolean {
  return options.includes('bind') || options.includes('rbind');
}
