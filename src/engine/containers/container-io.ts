// attach, logs, resize and exec: streams come from the monitoring shims (the container's, or one per
// exec), so they keep working across daemon restarts; the engine only connects them to the caller.

import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import { SkiffError } from '../../base/index.js';
import { CAPABILITY_NAMES } from '../../oci/index.js';
import { exitCodeOf } from '../../runtime/index.js';
import { readLogs, type LogRecord } from '../logs/index.js';
import { attributesOf, findContainer, rootfsDir, saveRecord, type EngineContext } from './context.js';
import { readFileInRoot } from '../../sys/index.js';
import { resolveExecUser } from '../spec/index.js';
import { ensureTask, hasTask } from './container-task.js';
import type { ContainerRecord, ExecConfig, ExecRecord } from './types.js';

export interface AttachRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** The output as written, without stdcopy frames even without a tty (websocket attach: frames of its own). */
  raw?: boolean;
}

/** moby's ContainerAttach checks: paused or restarting containers are refused. */
function attachableRecord(ctx: EngineContext, idOrName: string): ContainerRecord {
  const { record } = findContainer(ctx, idOrName);
  if (record.State.Paused) throw new SkiffError('Conflict', `container ${idOrName} is paused, unpause the container before attach`);
  if (record.State.Restarting) throw new SkiffError('Conflict', `container ${idOrName} is restarting, wait until the container is running`);
  return record;
}

/** What an attach needs to know before it takes any stream (the API checks it before the hijack). */
export function attachTarget(ctx: EngineContext, idOrName: string): { id: string; tty: boolean; openStdin: boolean } {
  const record = attachableRecord(ctx, idOrName);
  return { id: record.Id, tty: record.Config.Tty === true, openStdin: record.Config.OpenStdin === true };
}

/** The container's I/O as one socket (stdcopy frames without a tty unless `raw`, raw with one). */
export async function attachContainer(ctx: EngineContext, idOrName: string, req: AttachRequest): Promise<{ stream: Duplex; tty: boolean }> {
  const record = attachableRecord(ctx, idOrName);
  const tty = record.Config.Tty === true;
  // Attaching before start (docker run, start -a) creates the task so the shim can hold the stream.
  // If that fails (a missing command), the attach still succeeds with an empty stream, as docker's
  // does: the start that follows fails with the reason, and the client reports it.
  if (!record.State.Running && !hasTask(ctx, record.Id)) {
    try {
      await ensureTask(ctx, record);
    } catch (err) {
      ctx.logger.debug({ container: record.Id, err: String(err) }, 'attach before a start that will fail');
      const empty = new PassThrough();
      empty.end();
      return { stream: empty, tty };
    }
  }
  const stream = await ctx.runtime.shimClient(record.Id).attach({
    stdin: req.stdin && record.Config.OpenStdin === true, stdout: req.stdout, stderr: req.stderr, framed: !tty && req.raw !== true,
  });
  ctx.emit({ action: 'attach', id: record.Id, attributes: attributesOf(record) });
  return { stream, tty };
}

/** A client typed the detach keys: the container runs on without it (docker's `detach` event). */
export function recordDetach(ctx: EngineContext, idOrName: string): void {
  const { record } = findContainer(ctx, idOrName);
  ctx.emit({ action: 'detach', id: record.Id, attributes: attributesOf(record) });
}

export async function resizeContainer(ctx: EngineContext, idOrName: string, rows: number, cols: number): Promise<void> {
  const { record } = findContainer(ctx, idOrName);
  if (!hasTask(ctx, record.Id)) throw new SkiffError('Conflict', `container ${record.Id} is not running`);
  await ctx.runtime.shimClient(record.Id).resize(rows, cols);
}

export interface LogsRequest {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  tail?: number;
  sinceNs?: bigint;
  untilNs?: bigint;
  signal?: AbortSignal;
}

export function containerLogs(ctx: EngineContext, idOrName: string, req: LogsRequest): { records: AsyncIterable<LogRecord>; tty: boolean } {
  const { record } = findContainer(ctx, idOrName);
  if (!req.stdout && !req.stderr) throw new SkiffError('InvalidArgument', 'Bad parameters: you must choose at least one stream', { field: 'stdout' });
  const exit = ctx.exits.get(record.Id);
  const maxFiles = Number(record.HostConfig.LogConfig?.Config?.['max-file'] ?? 5);
  const all = readLogs({
    path: record.LogPath,
    maxFiles,
    ...(req.tail === undefined ? {} : { tail: req.tail }),
    ...(req.sinceNs === undefined ? {} : { sinceNs: req.sinceNs }),
    ...(req.untilNs === undefined ? {} : { untilNs: req.untilNs }),
    follow: req.follow && exit !== undefined,
    ...(exit === undefined ? {} : { stopWhen: exit }),
    ...(req.signal === undefined ? {} : { signal: req.signal }),
  });
  const wanted = async function* (): AsyncGenerator<LogRecord> {
    for await (const r of all) {
      if ((r.stream === 'stdout' && req.stdout) || (r.stream === 'stderr' && req.stderr)) yield r;
    }
  };
  return { records: wanted(), tty: record.Config.Tty === true };
}

type ExecEntry = ExecRecord & { shimId: string; config: ExecConfig };

export function createExec(ctx: EngineContext, idOrName: string, config: ExecConfig): string {
  const { record } = findContainer(ctx, idOrName);
  if (!record.State.Running) throw new SkiffError('Conflict', `container ${record.Id} is not running`);
  if (record.State.Paused) throw new SkiffError('Conflict', `container ${record.Id} is paused, unpause the container before exec`);
  if (!Array.isArray(config.Cmd) || config.Cmd.length === 0) throw new SkiffError('InvalidArgument', 'No exec command specified', { field: 'Cmd' });
  const id = randomBytes(32).toString('hex');
  const entry: ExecEntry = {
    ID: id, ContainerID: record.Id, Running: false, ExitCode: null, Pid: 0,
    OpenStdin: config.AttachStdin === true, OpenStdout: config.AttachStdout !== false, OpenStderr: config.AttachStderr !== false,
    CanRemove: false, DetachKeys: config.DetachKeys ?? '',
    ProcessConfig: { tty: config.Tty === true, entrypoint: config.Cmd[0]!, arguments: config.Cmd.slice(1), privileged: config.Privileged === true, user: config.User ?? '' },
    // The shim's files are named by a short id: unix socket paths are limited to 108 bytes.
    shimId: id.slice(0, 12),
    config,
  };
  ctx.execs.set(id, entry);
  record.ExecIDs = [...record.ExecIDs, id];
  saveRecord(ctx, record);
  ctx.emit({ action: `exec_create: ${config.Cmd.join(' ')}`, id: record.Id, attributes: { ...attributesOf(record), execID: id } });
  return id;
}

export function findExec(ctx: EngineContext, execId: string): ExecEntry {
  const e = ctx.execs.get(execId) ?? [...ctx.execs.values()].find((x) => x.ID.startsWith(execId) && execId.length >= 12);
  if (e === undefined) throw new SkiffError('NotFound', `No such exec instance: ${execId}`);
  return e;
}

/** exec --user: resolved in the container's /etc/passwd and /etc/group, read inside its rootfs. */
function execUser(ctx: EngineContext, containerId: string, user: string | undefined, fallback: { uid: number; gid: number; additionalGids?: number[] }): { uid: number; gid: number; additionalGids?: number[] } {
  if (user === undefined || user === '') return fallback;
  const rootfs = rootfsDir(ctx, containerId);
  try {
    const u = resolveExecUser(user, readFileInRoot(rootfs, '/etc/passwd'), readFileInRoot(rootfs, '/etc/group'));
    return { uid: u.uid, gid: u.gid, ...(u.sgids.length === 0 ? {} : { additionalGids: u.sgids }) };
  } catch (err) {
    throw new SkiffError('InvalidArgument', (err as Error).message, { field: 'User', cause: err });
  }
}

/** `exited` resolves once the exit code is recorded (clients read it right after the stream ends). */
export async function startExec(ctx: EngineContext, execId: string, opts: { detach: boolean }): Promise<{ stream?: Socket; tty: boolean; stdin: boolean; exited: Promise<void> }> {
  const e = findExec(ctx, execId);
  if (e.Running || e.ExitCode !== null) throw new SkiffError('Conflict', `Error: Exec command ${e.ID} has already run`);
  const { record } = findContainer(ctx, e.ContainerID);
  if (!record.State.Running) throw new SkiffError('Conflict', `container ${record.Id} is not running`);
  const base = ctx.runtime.processOf(record.Id);
  const tty = e.config.Tty === true;
  const env = [...(base.env ?? [])];
  for (const kv of e.config.Env ?? []) {
    const k = kv.split('=')[0]!;
    const i = env.findIndex((x) => x.split('=')[0] === k);
    if (i >= 0) env[i] = kv;
    else env.push(kv);
  }
  const process = {
    ...base,
    args: e.config.Cmd,
    env,
    cwd: e.config.WorkingDir !== undefined && e.config.WorkingDir !== '' ? e.config.WorkingDir : base.cwd,
    terminal: tty,
    user: execUser(ctx, record.Id, e.config.User, base.user),
    ...(e.config.ConsoleSize ? { consoleSize: { height: e.config.ConsoleSize[0], width: e.config.ConsoleSize[1] } } : {}),
  };
  if (e.config.Privileged === true && base.capabilities !== undefined) {
    const all = CAPABILITY_NAMES.map((c) => (c.startsWith('CAP_') ? c : `CAP_${c}`));
    process.capabilities = { bounding: all, effective: all, permitted: all, inheritable: [], ambient: [] };
  }
  await ctx.runtime.exec(record.Id, {
    process,
    detach: true,
    monitor: { execId: e.shimId, io: { stdin: e.OpenStdin, stdinOnce: true, outputPipes: !tty } },
  });
  const client = ctx.runtime.shimClient(record.Id, e.shimId);
  let stream: Socket | undefined;
  if (!opts.detach) stream = await client.attach({ stdin: e.OpenStdin, stdout: e.OpenStdout, stderr: e.OpenStderr, framed: !tty });
  await ctx.runtime.startExec(record.Id, e.shimId);
  e.Running = true;
  // Not awaited: a shim whose process already exited holds its control socket until the attached
  // client has read the output, which the caller does only after this returns.
  void client.pid().then((pid) => { e.Pid = pid; }, () => {});
  ctx.emit({ action: `exec_start: ${e.config.Cmd.join(' ')}`, id: record.Id, attributes: { ...attributesOf(record), execID: e.ID } });
  const forget = async (): Promise<void> => {
    const paths = ctx.runtime.monitorPaths(record.Id, e.shimId);
    await Promise.all([paths.socket, paths.exitFile, paths.fifo].map((p) => rm(p, { force: true })));
  };
  // The shim answers wait; its exit file is the fallback when the answer is lost in its last moments.
  let settled = false;
  const fromFile = (async (): Promise<number> => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (settled) return new Promise<number>(() => {});
      const status = await client.exitStatus();
      if (status !== undefined) return status;
    }
  })();
  const exited = Promise.race([client.wait(), fromFile]).finally(() => { settled = true; }).then((status) => {
    e.Running = false;
    e.ExitCode = exitCodeOf(status);
    void forget();
    ctx.emit({ action: 'exec_die', id: record.Id, attributes: { ...attributesOf(record), execID: e.ID, exitCode: String(e.ExitCode) } });
  }, () => {
    e.Running = false;
    e.ExitCode = 126;
  });
  return { ...(stream === undefined ? {} : { stream }), tty, stdin: e.OpenStdin, exited };
}

export function inspectExec(ctx: EngineContext, execId: string): Record<string, unknown> {
  const e = findExec(ctx, execId);
  const { shimId: _s, config: _c, ...rest } = e;
  void _s; void _c;
  return rest;
}

export async function resizeExec(ctx: EngineContext, execId: string, rows: number, cols: number): Promise<void> {
  const e = findExec(ctx, execId);
  await ctx.runtime.shimClient(e.ContainerID, e.shimId).resize(rows, cols);
}
