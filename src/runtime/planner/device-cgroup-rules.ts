// The device cgroup rules a container really gets: the spec's rules, then runc's allowed defaults
// (mknod of anything, the standard nodes, the pty devices), as libcontainer/specconv
// CreateCgroupConfig does. Devices listed in linux.devices get no rule of their own. Pure.

import type { LinuxDeviceCgroup, LinuxResources, Spec } from '../../oci/index.js';

const ALLOWED_DEFAULTS: readonly LinuxDeviceCgroup[] = [
  { allow: true, type: 'c', major: null, minor: null, access: 'm' },
  { allow: true, type: 'b', major: null, minor: null, access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
];

export function effectiveResources(spec: Spec): LinuxResources | undefined {
  const resources = spec.linux?.resources;
  if (!resources) return undefined;
  if (!resources.devices) return resources;
  return { ...resources, devices: [...resources.devices, ...ALLOWED_DEFAULTS] };
}
