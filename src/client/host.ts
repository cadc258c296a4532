// `-H` / DOCKER_HOST: `unix:///path`, `tcp://host:port`, `http://host:port`; default skiffd's socket.

import { invalidArgument } from '../base/index.js';
import type { DaemonAddress } from './types.js';

export const DEFAULT_HOST = 'unix:///run/skiff/skiff.sock';

/** Parses a daemon address the way docker's `-H` does (`opts.ParseHost`). */
export function parseHost(value: string | undefined): DaemonAddress {
  const raw = (value ?? '').trim() === '' ? DEFAULT_HOST : value!.trim();
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length);
    if (socketPath === '') throw invalidArgument(`invalid bind address (${raw}): empty path`);
    return { kind: 'unix', socketPath, display: raw };
  }
  if (raw.startsWith('/')) return { kind: 'unix', socketPath: raw, display: `unix://${raw}` };
  const m = /^(tcp|http):\/\/([^/]+?)(?::(\d+))?\/?$/.exec(raw);
  if (m !== null) {
    const host = m[2]!;
    const port = m[3] ?? '2375';
    return { kind: 'tcp', origin: `http://${host}:${port}`, display: `tcp://${host}:${port}` };
  }
  throw invalidArgument(`unsupported daemon address ${JSON.stringify(raw)}: only unix:// and tcp:// are supported`);
}
