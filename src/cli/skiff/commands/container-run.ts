// `run`, `create`, `start`, `attach`, `exec`: docker's run.go / create.go / start.go / attach.go /
// exec.go. `run` attaches first, posts the wait (next-exit, or removed with --rm) BEFORE /start and
// takes its exit status from the wait body; start errors exit 127 (not found), 126 (cannot invoke)
// or 125 (anything else) after "<bin>: <error>" and the "Run '<bin> run --help'" line.

import { isDaemonError, parseReference, familiarString, type DockerClient, type HijackedConnection } from '../../../client/index.js';
import { bool, list, str, type ParsedArgs } from '../args.js';
import { ExitStatus, write, type CliContext, type Command } from '../context.js';
import { describeErrorText } from './container-util.js';
import { buildCreateRequest, CREATE_FLAGS, RUN_ONLY_FLAGS, type CreateRequest } from './container-opts.js';
import { consoleSize, holdHijacked, monitorTtySize, proxySignals, rawStdin } from './container-io.js';
import { displayStream } from './stream-output.js';

const BIN = 'skiff';

/** The exit status of a failed start (docker's runStartContainerErr). */
export function startErrorStatus(message: string): number {
  if (message.includes('executable file not found') || message.includes('no such file or directory') || message.includes('system cannot find the file specified')) return 127;
  if (message.includes('permission denied') || message.includes('cannot execute binary file') || message.includes('exec format error')) return 126;
  return 125;
}

async function runError(ctx: CliContext, verb: string, err: unknown): Promise<void> {
  await write(ctx.io.stderr, `${BIN}: ${describeErrorText(err)}\n\nRun '${BIN} ${verb} --help' for more information\n`);
}

function fullImageName(image: string): string {
  try {
    const ref = parseReference(image);
    return familiarString({ ...ref, tag: ref.digest === undefined && ref.tag === undefined ? 'latest' : ref.tag });
  } catch {
    return image;
  }
}

async function pullForRun(ctx: CliContext, image: string, platform: string | undefined): Promise<void> {
  let fromImage = image;
  let tag: string | undefined;
  try {
    const ref = parseReference(image);
    if (ref.digest === undefined) {
      tag = ref.tag ?? 'latest';
      fromImage = image.endsWith(`:${tag}`) ? image.slice(0, -(tag.length + 1)) : image;
    }
  } catch {
    // the daemon reports it
  }
  const res = await ctx.client().pullImage({ fromImage, ...(tag === undefined ? {} : { tag }), ...(platform === undefined ? {} : { platform }) });
  await displayStream({ ...ctx, io: { ...ctx.io, stdout: ctx.io.stderr, isStdoutTty: false } }, res);
}

/** POST /containers/create, pulling first (or on "No such image") per --pull. */
export async function createWithPull(ctx: CliContext, req: CreateRequest): Promise<string> {
  const client = ctx.client();
  const create = (): Promise<{ Id: string; Warnings: string[] | null }> =>
    client.createContainer(req.body, { ...(req.name === undefined ? {} : { name: req.name }), ...(req.platform === undefined ? {} : { platform: req.platform }) });
  if (req.pull === 'always') await pullForRun(ctx, req.image, req.platform);
  let res;
  try {
    res = await create();
  } catch (err) {
    if (!(isDaemonError(err) && err.statusCode === 404 && req.pull === 'missing' && /No such image/i.test(err.message))) throw err;
    await write(ctx.io.stderr, `Unable to find image '${fullImageName(req.image)}' locally\n`);
    await pullForRun(ctx, req.image, req.platform);
    res = await create();
  }
  for (const w of res.Warnings ?? []) await write(ctx.io.stderr, `WARNING: ${w}\n`);
  return res.Id;
}

function createRequest(ctx: CliContext, p: ParsedArgs, detach: boolean): CreateRequest {
  const tty = bool(p, 'tty');
  const size = tty ? consoleSize(ctx) : undefined;
  return buildCreateRequest(p, { detach, env: ctx.env, ...(size === undefined ? {} : { consoleSize: size }) });
}

export const containerCreate: Command = {
  path: ['container', 'create'],
  aliases: [['create']],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create a new container',
  flags: CREATE_FLAGS,
  args: { min: 1 },
  noInterspersed: true,
  async run(ctx, p) {
    let req: CreateRequest;
    try {
      req = createRequest(ctx, p, false);
    } catch (err) {
      await runError(ctx, 'create', err);
      return 125;
    }
    try {
      const id = await createWithPull(ctx, req);
      await write(ctx.io.stdout, `${id}\n`);
      return 0;
    } catch (err) {
      await runError(ctx, 'create', err);
      return 125;
    }
  },
};

/** Attaches, waits, starts; the container's status (docker's runContainer). */
async function runContainer(ctx: CliContext, p: ParsedArgs, req: CreateRequest, detach: boolean): Promise<number> {
  const client = ctx.client();
  if (req.tty && req.attachStdin && !ctx.io.isStdinTty) {
    await write(ctx.io.stderr, 'the input device is not a TTY\n');
    return 1;
  }
  let id: string;
  try {
    id = await createWithPull(ctx, req);
  } catch (err) {
    await runError(ctx, 'run', err);
    return 125;
  }
  const detachKeys = str(p, 'detach-keys');
  let conn: HijackedConnection | undefined;
  if (!detach && (req.attachStdin || req.attachStdout || req.attachStderr)) {
    try {
      conn = await client.attachContainer(id, {
        stdin: req.attachStdin, stdout: req.attachStdout, stderr: req.attachStderr, stream: true,
        ...(detachKeys === undefined ? {} : { detachKeys }),
      });
    } catch (err) {
      await runError(ctx, 'run', err);
      return 125;
    }
  }
  const abort = new AbortController();
  let wait;
  try {
    wait = await client.waitContainer(id, req.autoRemove ? 'removed' : 'next-exit', abort.signal);
  } catch (err) {
    conn?.socket.destroy();
    await runError(ctx, 'run', err);
    return 125;
  }
  const undoRaw = conn !== undefined && req.tty && req.attachStdin ? rawStdin(ctx) : (): void => undefined;
  try {
    try {
      await client.startContainer(id);
    } catch (err) {
      conn?.socket.destroy();
      await runError(ctx, 'run', err);
      if (req.autoRemove) await wait.result.catch(() => undefined);
      else abort.abort();
      return startErrorStatus(describeErrorText(err));
    }
    if (detach) {
      abort.abort();
      await write(ctx.io.stdout, `${id}\n`);
      return 0;
    }
    const undoSize = req.tty ? monitorTtySize(ctx, (h, w) => client.resizeContainer(id, h, w)) : (): void => undefined;
    const sigProxy = (p.bools.get('sig-proxy') ?? true) && !req.tty;
    const undoSignals = sigProxy ? proxySignals((sig) => client.killContainer(id, sig)) : (): void => undefined;
    try {
      if (conn !== undefined) {
        const how = await holdHijacked(ctx, conn, { tty: req.tty, stdin: req.attachStdin, ...(detachKeys === undefined ? {} : { detachKeys }) });
        if (how === 'detached') {
          abort.abort();
          return 0;
        }
      }
    } finally {
      undoSignals();
      undoSize();
    }
  } finally {
    undoRaw();
  }
  const status = await wait.result;
  if (status.Error?.Message !== undefined && status.Error.Message !== '') {
    await write(ctx.io.stderr, `${BIN}: Error response from daemon: ${status.Error.Message}\n`);
    return 125;
  }
  return status.StatusCode;
}

export const containerRun: Command = {
  path: ['container', 'run'],
  aliases: [['run']],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create and run a new container from an image',
  flags: [...CREATE_FLAGS, ...RUN_ONLY_FLAGS].sort((a, b) => a.name.localeCompare(b.name)),
  args: { min: 1 },
  noInterspersed: true,
  async run(ctx, p) {
    const detach = bool(p, 'detach');
    let req: CreateRequest;
    try {
      req = createRequest(ctx, p, detach);
    } catch (err) {
      await runError(ctx, 'run', err);
      return 125;
    }
    return runContainer(ctx, p, req, detach);
  },
};

async function inspectConfig(client: DockerClient, id: string): Promise<{ id: string; tty: boolean; openStdin: boolean; running: boolean; paused: boolean; restarting: boolean }> {
  const { value } = await client.inspectContainer(id);
  const config = (value['Config'] ?? {}) as Record<string, unknown>;
  const state = (value['State'] ?? {}) as Record<string, unknown>;
  return {
    id: String(value['Id']),
    tty: config['Tty'] === true,
    openStdin: config['OpenStdin'] === true,
    running: state['Running'] === true,
    paused: state['Paused'] === true,
    restarting: state['Restarting'] === true,
  };
}

export const containerStart: Command = {
  path: ['container', 'start'],
  aliases: [['start']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Start one or more stopped containers',
  flags: [
    { name: 'attach', short: 'a', kind: 'bool', help: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'detach-keys', kind: 'string', valueName: 'string', help: 'Override the key sequence for detaching a container' },
    { name: 'interactive', short: 'i', kind: 'bool', help: "Attach container's STDIN" },
  ],
  args: { min: 1 },
  async run(ctx, p) {
    const client = ctx.client();
    const attach = bool(p, 'attach');
    const interactive = bool(p, 'interactive');
    if (attach || interactive) {
      if (p.args.length > 1) {
        await write(ctx.io.stderr, 'you cannot start and attach multiple containers at once\n');
        return 1;
      }
      const c = await inspectConfig(client, p.args[0]!);
      const stdin = interactive && c.openStdin;
      const detachKeys = str(p, 'detach-keys');
      const conn = await client.attachContainer(c.id, { stdin, stdout: true, stderr: true, stream: true, ...(detachKeys === undefined ? {} : { detachKeys }) });
      const abort = new AbortController();
      const wait = await client.waitContainer(c.id, 'next-exit', abort.signal);
      const undoRaw = c.tty && stdin ? rawStdin(ctx) : (): void => undefined;
      try {
        try {
          await client.startContainer(c.id);
        } catch (err) {
          conn.socket.destroy();
          throw err;
        }
        const undoSize = c.tty ? monitorTtySize(ctx, (h, w) => client.resizeContainer(c.id, h, w)) : (): void => undefined;
        try {
          const how = await holdHijacked(ctx, conn, { tty: c.tty, stdin, ...(detachKeys === undefined ? {} : { detachKeys }) });
          if (how === 'detached') {
            abort.abort();
            return 0;
          }
        } finally {
          undoSize();
        }
      } finally {
        undoRaw();
      }
      const status = await wait.result;
      return status.StatusCode;
    }
    const failed: string[] = [];
    for (const name of p.args) {
      try {
        await client.startContainer(name);
        await write(ctx.io.stdout, `${name}\n`);
      } catch (err) {
        failed.push(describeErrorText(err));
      }
    }
    if (failed.length > 0) {
      await write(ctx.io.stderr, `${failed.join('\n')}\nError: failed to start containers: ${p.args.filter((_, i) => i >= 0).join(', ')}\n`);
      throw new ExitStatus(1);
    }
    return 0;
  },
};

export const containerAttach: Command = {
  path: ['container', 'attach'],
  aliases: [['attach']],
  usage: '[OPTIONS] CONTAINER',
  short: 'Attach local standard input, output, and error streams to a running container',
  flags: [
    { name: 'detach-keys', kind: 'string', valueName: 'string', help: 'Override the key sequence for detaching a container' },
    { name: 'no-stdin', kind: 'bool', help: 'Do not attach STDIN' },
    { name: 'sig-proxy', kind: 'bool', help: 'Proxy all received signals to the process (default true)' },
  ],
  args: { exact: 1 },
  async run(ctx, p) {
    const client = ctx.client();
    const c = await inspectConfig(client, p.args[0]!);
    if (!c.running) {
      await write(ctx.io.stderr, 'You cannot attach to a stopped container, start it first\n');
      return 1;
    }
    if (c.paused) {
      await write(ctx.io.stderr, 'You cannot attach to a paused container, unpause it first\n');
      return 1;
    }
    if (c.restarting) {
      await write(ctx.io.stderr, 'You cannot attach to a restarting container, wait until it is running\n');
      return 1;
    }
    const stdin = c.openStdin && !bool(p, 'no-stdin');
    const detachKeys = str(p, 'detach-keys');
    const conn = await client.attachContainer(c.id, { stdin, stdout: true, stderr: true, stream: true, ...(detachKeys === undefined ? {} : { detachKeys }) });
    const undoRaw = c.tty && stdin ? rawStdin(ctx) : (): void => undefined;
    const undoSize = c.tty ? monitorTtySize(ctx, (h, w) => client.resizeContainer(c.id, h, w)) : (): void => undefined;
    const undoSignals = (p.bools.get('sig-proxy') ?? true) && !c.tty ? proxySignals((sig) => client.killContainer(c.id, sig)) : (): void => undefined;
    try {
      const how = await holdHijacked(ctx, conn, { tty: c.tty, stdin, ...(detachKeys === undefined ? {} : { detachKeys }) });
      if (how === 'detached') return 0;
    } finally {
      undoSignals();
      undoSize();
      undoRaw();
    }
    const after = await client.inspectContainer(c.id);
    const state = (after.value['State'] ?? {}) as Record<string, unknown>;
    return state['Running'] === true ? 0 : Number(state['ExitCode'] ?? 0);
  },
};

/** The exec create body docker sends (container.ExecOptions). */
export function execBody(p: ParsedArgs, cmd: string[], env: NodeJS.ProcessEnv, size: [number, number] | undefined): Record<string, unknown> {
  const detach = bool(p, 'detach');
  const interactive = bool(p, 'interactive');
  const envs: string[] = [];
  for (const e of list(p, 'env')) {
    if (e.includes('=')) envs.push(e);
    else if (env[e] !== undefined) envs.push(`${e}=${env[e]}`);
  }
  const body: Record<string, unknown> = {
    User: str(p, 'user') ?? '',
    Privileged: bool(p, 'privileged'),
    Tty: bool(p, 'tty'),
    ...(size === undefined ? {} : { ConsoleSize: size }),
    AttachStdin: interactive && !detach,
    AttachStderr: !detach,
    AttachStdout: !detach,
    Detach: detach,
    DetachKeys: str(p, 'detach-keys') ?? '',
    Env: envs.length === 0 ? null : envs,
    WorkingDir: str(p, 'workdir') ?? '',
    Cmd: cmd,
  };
  return body;
}

export const containerExec: Command = {
  path: ['container', 'exec'],
  aliases: [['exec']],
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  short: 'Execute a command in a running container',
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', help: 'Detached mode: run command in the background' },
    { name: 'detach-keys', kind: 'string', valueName: 'string', help: 'Override the key sequence for detaching a container' },
    { name: 'env', short: 'e', kind: 'list', valueName: 'list', help: 'Set environment variables' },
    { name: 'env-file', kind: 'list', valueName: 'list', help: 'Read in a file of environment variables' },
    { name: 'interactive', short: 'i', kind: 'bool', help: 'Keep STDIN open even if not attached' },
    { name: 'privileged', kind: 'bool', help: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', kind: 'bool', help: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', kind: 'string', valueName: 'string', help: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', kind: 'string', valueName: 'string', help: 'Working directory inside the container' },
  ],
  args: { min: 2 },
  noInterspersed: true,
  async run(ctx, p) {
    const client = ctx.client();
    const [container, ...cmd] = p.args;
    const tty = bool(p, 'tty');
    const interactive = bool(p, 'interactive');
    const detach = bool(p, 'detach');
    if (tty && interactive && !ctx.io.isStdinTty) {
      await write(ctx.io.stderr, 'the input device is not a TTY\n');
      return 1;
    }
    const size = tty ? consoleSize(ctx) : undefined;
    const body = execBody(p, cmd, ctx.env, size);
    const created = await client.createExec(container!, body as never);
    if (detach) {
      await client.startExec(created.Id, { Detach: true, Tty: tty, ...(size === undefined ? {} : { ConsoleSize: size }) });
      return 0;
    }
    const conn = await client.startExec(created.Id, { Detach: false, Tty: tty, ...(size === undefined ? {} : { ConsoleSize: size }) });
    const undoRaw = tty && interactive ? rawStdin(ctx) : (): void => undefined;
    const undoSize = tty ? monitorTtySize(ctx, (h, w) => client.resizeContainer(created.Id, h, w, true)) : (): void => undefined;
    try {
      const detachKeys = str(p, 'detach-keys');
      const how = await holdHijacked(ctx, conn!, { tty, stdin: interactive, ...(detachKeys === undefined ? {} : { detachKeys }) });
      if (how === 'detached') return 0;
    } finally {
      undoSize();
      undoRaw();
    }
    const info = await client.inspectExec(created.Id);
    return info.ExitCode ?? 0;
  },
};
