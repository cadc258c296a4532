// Identifiers that become path components are validated here first.

import { invalidArgument } from './errors.js';

/** runc's container id rule: `^[\w+-\.]+$`, and never `.` or `..`. */
const CONTAINER_ID = /^[\w+\-.]+$/;

export function validateContainerId(id: string): string {
  if (id === '' ) throw invalidArgument('container id cannot be empty');
  if (id.length > 1024 || !CONTAINER_ID.test(id) || id === '.' || id === '..') {
    throw invalidArgument(`invalid container ID format: ${id}`);
  }
  return id;
}

export const HEX64 = /^[0-9a-f]{64}$/;

export function isHex64(s: string): boolean {
  return HEX64.test(s);
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}
