// The container verbs that are one request per name: stop, kill, restart, rm, wait, pause, unpause,
// rename, top, port, diff, logs, commit, export, update, container prune, and the generic inspect.
// Each name that fails prints "Error response from daemon: …" after the others; the status is 1.

import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { demultiplex, isDaemonError, type DockerClient } from '../../../client/index.js';
import { bool, list, parseFilters, str, UsageError, type ParsedArgs } from '../args.js';
import { ExitStatus, readLine, write, type CliContext, type Command } from '../context.js';
import { inspectArray } from '../render/json-indent.js';
import { executeTemplate, parseFormat, TemplateError } from '../render/template.js';
import { tabwrite } from '../render/tabwriter.js';
import { humanSize } from '../render/units.js';
import { ramInBytes } from './container-opts.js';
import { describeErrorText } from './container-util.js';

/** Runs `fn` per name, prints the name on success, the errors last; status 1 when any failed. */
async function eachName(ctx: CliContext, names: readonly string[], fn: (name: string) => Promise<void | 'quiet'>, print = true): Promise<number> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      const r = await fn(name);
      if (print && r !== 'quiet') await write(ctx.io.stdout, `${name}\n`);
    } catch (err) {
      errors.push(describeErrorText(err));
    }
  }
  if (errors.length > 0) {
    await write(ctx.io.stderr, `${errors.join('\n')}\n`);
    throw new ExitStatus(1);
  }
  return 0;
}

function optionalInt(p: ParsedArgs, name: string, flag: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`invalid argument "${v}" for "${flag}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

const stopFlags = [
  { name: 'signal', short: 's', kind: 'string' as const, valueName: 'string', help: 'Signal to send to the container' },
  { name: 'timeout', short: 't', kind: 'string' as const, valueName: 'int', help: 'Seconds to wait before killing the container' },
];

export const containerStop: Command = {
  path: ['container', 'stop'],
  aliases: [['stop']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Stop one or more running containers',
  flags: stopFlags,
  args: { min: 1 },
  run(ctx, p) {
    const timeout = optionalInt(p, 'timeout', '-t, --timeout');
    const signal = str(p, 'signal');
    return eachName(ctx, p.args, (n) => ctx.client().stopContainer(n, { ...(timeout === undefined ? {} : { timeout }), ...(signal === undefined ? {} : { signal }) }));
  },
};

export const containerRestart: Command = {
  path: ['container', 'restart'],
  aliases: [['restart']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Restart one or more containers',
  flags: stopFlags,
  args: { min: 1 },
  run(ctx, p) {
    const timeout = optionalInt(p, 'timeout', '-t, --timeout');
    const signal = str(p, 'signal');
    return eachName(ctx, p.args, (n) => ctx.client().restartContainer(n, { ...(timeout === undefined ? {} : { timeout }), ...(signal === undefined ? {} : { signal }) }));
  },
};

export const containerKill: Command = {
  path: ['container', 'kill'],
  aliases: [['kill']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Kill one or more running containers',
  flags: [{ name: 'signal', short: 's', kind: 'string', valueName: 'string', help: 'Signal to send to the container' }],
  args: { min: 1 },
  run(ctx, p) {
    const signal = str(p, 'signal');
    return eachName(ctx, p.args, (n) => ctx.client().killContainer(n, signal === '' ? undefined : signal));
  },
};

export const containerRemove: Command = {
  path: ['container', 'rm'],
  aliases: [['rm'], ['container', 'remove']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Remove one or more containers',
  flags: [
    { name: 'force', short: 'f', kind: 'bool', help: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', kind: 'bool', help: 'Remove the specified link' },
    { name: 'volumes', short: 'v', kind: 'bool', help: 'Remove anonymous volumes associated with the container' },
  ],
  args: { min: 1 },
  run(ctx, p) {
    const force = bool(p, 'force');
    return eachName(ctx, p.args, async (n): Promise<void | 'quiet'> => {
      try {
        await ctx.client().removeContainer(n.trim().replace(/^\//, ''), { force, volumes: bool(p, 'volumes'), link: bool(p, 'link') });
      } catch (err) {
        if (force && isDaemonError(err) && err.statusCode === 404) {
          // docker rm -f reports a missing container but does not fail
          await write(ctx.io.stderr, `${describeErrorText(err)}\n`);
          return 'quiet';
        }
        throw err;
      }
    });
  },
};

export const containerPause: Command = {
  path: ['container', 'pause'],
  aliases: [['pause']],
  usage: 'CONTAINER [CONTAINER...]',
  short: 'Pause all processes within one or more containers',
  flags: [],
  args: { min: 1 },
  run: (ctx, p) => eachName(ctx, p.args, (n) => ctx.client().pauseContainer(n)),
};

export const containerUnpause: Command = {
  path: ['container', 'unpause'],
  aliases: [['unpause']],
  usage: 'CONTAINER [CONTAINER...]',
  short: 'Unpause all processes within one or more containers',
  flags: [],
  args: { min: 1 },
  run: (ctx, p) => eachName(ctx, p.args, (n) => ctx.client().unpauseContainer(n)),
};

export const containerWait: Command = {
  path: ['container', 'wait'],
  aliases: [['wait']],
  usage: 'CONTAINER [CONTAINER...]',
  short: 'Block until one or more containers stop, then print their exit codes',
  flags: [],
  args: { min: 1 },
  run(ctx, p) {
    return eachName(ctx, p.args, async (n) => {
      const { result } = await ctx.client().waitContainer(n);
      const r = await result;
      if (r.Error?.Message !== undefined && r.Error.Message !== '') throw new Error(r.Error.Message);
      await write(ctx.io.stdout, `${r.StatusCode}\n`);
    }, false);
  },
};

export const containerRename: Command = {
  path: ['container', 'rename'],
  aliases: [['rename']],
  usage: 'CONTAINER NEW_NAME',
  short: 'Rename a container',
  flags: [],
  args: { exact: 2 },
  async run(ctx, p) {
    const [oldName, newName] = [p.args[0]!.trim(), p.args[1]!.trim()];
    if (oldName === '' || newName === '') throw new Error('Error: Neither old nor new names may be empty');
    try {
      await ctx.client().renameContainer(oldName, newName);
    } catch (err) {
      throw new Error(`${describeErrorText(err)}\nError: failed to rename container named ${oldName}`, { cause: err });
    }
    return 0;
  },
};

export const containerTop: Command = {
  path: ['container', 'top'],
  aliases: [['top']],
  usage: 'CONTAINER [ps OPTIONS]',
  short: 'Display the running processes of a container',
  flags: [],
  args: { min: 1 },
  noInterspersed: true,
  async run(ctx, p) {
    const top = await ctx.client().topContainer(p.args[0]!, p.args.slice(1).join(' '));
    let text = `${top.Titles.join('\t')}\n`;
    for (const proc of top.Processes ?? []) text += `${proc.join('\t')}\n`;
    await write(ctx.io.stdout, tabwrite(text, { minWidth: 20, padding: 3 }));
    return 0;
  },
};

export const containerDiff: Command = {
  path: ['container', 'diff'],
  aliases: [['diff']],
  usage: 'CONTAINER',
  short: "Inspect changes to files or directories on a container's filesystem",
  flags: [],
  args: { exact: 1 },
  async run(ctx, p) {
    const changes = (await ctx.client().containerChanges(p.args[0]!)) ?? [];
    const kinds = ['C', 'A', 'D'];
    await write(ctx.io.stdout, changes.map((c) => `${kinds[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
    return 0;
  },
};

export const containerLogs: Command = {
  path: ['container', 'logs'],
  aliases: [['logs']],
  usage: '[OPTIONS] CONTAINER',
  short: 'Fetch the logs of a container',
  flags: [
    { name: 'details', kind: 'bool', help: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', kind: 'bool', help: 'Follow log output' },
    { name: 'since', kind: 'string', valueName: 'string', help: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', kind: 'string', valueName: 'string', help: 'Number of lines to show from the end of the logs (default "all")' },
    { name: 'timestamps', short: 't', kind: 'bool', help: 'Show timestamps' },
    { name: 'until', kind: 'string', valueName: 'string', help: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  args: { exact: 1 },
  async run(ctx, p) {
    const client = ctx.client();
    const { value } = await client.inspectContainer(p.args[0]!);
    const tty = ((value['Config'] ?? {}) as Record<string, unknown>)['Tty'] === true;
    const since = str(p, 'since');
    const until = str(p, 'until');
    const body = await client.containerLogs(p.args[0]!, {
      follow: bool(p, 'follow'),
      timestamps: bool(p, 'timestamps'),
      details: bool(p, 'details'),
      tail: str(p, 'tail') ?? 'all',
      ...(since === undefined ? {} : { since: timeArg(since) }),
      ...(until === undefined ? {} : { until: timeArg(until) }),
    });
    if (tty) {
      for await (const chunk of body) await new Promise<void>((resolve) => ctx.io.stdout.write(chunk as Buffer, () => resolve()));
    } else {
      await demultiplex(body, (which, data) => new Promise<void>((resolve) => {
        (which === 'stdout' ? ctx.io.stdout : ctx.io.stderr).write(data, () => resolve());
      }));
    }
    return 0;
  },
};

/** docker's timetypes.GetTimestamp: RFC 3339 or a Go duration relative to now → seconds.nanos. */
export function timeArg(value: string, nowMs = Date.now()): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const rel = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(value);
  if (rel !== null) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
    const t = nowMs - Number(rel[1]) * mult[rel[2]!]!;
    return (t / 1000).toFixed(9);
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value;
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1e6).padStart(9, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// inspect (any object), commit, export, update, prune

type Inspector = (client: DockerClient, name: string) => Promise<{ raw: string; value: Record<string, unknown> }>;

const INSPECTORS: Record<string, Inspector> = {
  container: (c, n) => c.inspectContainer(n),
  image: (c, n) => c.inspectImage(n),
  volume: (c, n) => c.inspectVolume(n),
  network: (c, n) => c.inspectNetwork(n),
};

export const inspect: Command = {
  path: ['inspect'],
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  short: 'Return low-level information on Docker objects',
  flags: [
    { name: 'format', short: 'f', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes if the type is container' },
    { name: 'type', kind: 'string', valueName: 'string', help: 'Only inspect objects of the given type' },
  ],
  args: { min: 1 },
  async run(ctx, p) {
    const type = str(p, 'type');
    if (type !== undefined && type !== '' && !(type in INSPECTORS) && !['config', 'node', 'plugin', 'secret', 'service', 'task'].includes(type)) {
      throw new Error(`"${type}" is not a valid value for --type`);
    }
    return inspectObjects(ctx, p, type === undefined || type === '' ? ['container', 'image', 'volume', 'network'] : [type]);
  },
};

export async function inspectObjects(ctx: CliContext, p: ParsedArgs, types: readonly string[]): Promise<number> {
  const tpl = parseFormat(str(p, 'format'));
  const raws: string[] = [];
  const errors: string[] = [];
  let out = '';
  for (const name of p.args) {
    let found: { raw: string; value: Record<string, unknown> } | undefined;
    let lastErr: unknown;
    for (const t of types) {
      const inspector = INSPECTORS[t];
      if (inspector === undefined) continue;
      try {
        found = t === 'container' && bool(p, 'size') ? await ctx.client().inspectContainer(name, { size: true }) : await inspector(ctx.client(), name);
        break;
      } catch (err) {
        lastErr = err;
        if (!(isDaemonError(err) && err.statusCode === 404)) break;
      }
    }
    if (found === undefined) {
      if (types.length > 1 && isDaemonError(lastErr) && lastErr.statusCode === 404) errors.push(`Error: No such object: ${name}`);
      else errors.push(describeErrorText(lastErr));
      continue;
    }
    if (tpl === undefined) raws.push(found.raw);
    else {
      try {
        out += `${executeTemplate(tpl, found.value, { missingKey: 'error' })}\n`;
      } catch (err) {
        if (err instanceof TemplateError) {
          await write(ctx.io.stdout, `${out}\n`);
          throw new Error(`template parsing error: ${err.message.replace(/:\{COL\}/, '')}`, { cause: err });
        }
        throw err;
      }
    }
  }
  await write(ctx.io.stdout, tpl === undefined ? inspectArray(raws) : out);
  if (errors.length > 0) {
    await write(ctx.io.stderr, `${errors.join('\n')}\n`);
    throw new ExitStatus(1);
  }
  return 0;
}

export const containerInspect: Command = {
  path: ['container', 'inspect'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Display detailed information on one or more containers',
  flags: [
    { name: 'format', short: 'f', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes' },
  ],
  args: { min: 1 },
  run: (ctx, p) => inspectObjects(ctx, p, ['container']),
};

export const containerCommit: Command = {
  path: ['container', 'commit'],
  aliases: [['commit']],
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  short: "Create a new image from a container's changes",
  flags: [
    { name: 'author', short: 'a', kind: 'string', valueName: 'string', help: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', kind: 'list', valueName: 'list', help: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', kind: 'string', valueName: 'string', help: 'Commit message' },
    { name: 'pause', short: 'p', kind: 'bool', help: 'Pause container during commit (default true)' },
  ],
  args: { min: 1, max: 2 },
  async run(ctx, p) {
    let repo: string | undefined;
    let tag: string | undefined;
    const ref = p.args[1];
    if (ref !== undefined) {
      const at = ref.lastIndexOf(':');
      if (at > ref.lastIndexOf('/')) {
        repo = ref.slice(0, at);
        tag = ref.slice(at + 1);
      } else repo = ref;
    }
    const res = await ctx.client().commitContainer({
      container: p.args[0]!,
      ...(repo === undefined ? {} : { repo }),
      ...(tag === undefined ? {} : { tag }),
      ...(str(p, 'message') === undefined ? {} : { comment: str(p, 'message')! }),
      ...(str(p, 'author') === undefined ? {} : { author: str(p, 'author')! }),
      pause: p.bools.get('pause') ?? true,
      changes: list(p, 'change'),
    });
    await write(ctx.io.stdout, `${res.Id}\n`);
    return 0;
  },
};

export const containerExport: Command = {
  path: ['container', 'export'],
  aliases: [['export']],
  usage: '[OPTIONS] CONTAINER',
  short: "Export a container's filesystem as a tar archive",
  flags: [{ name: 'output', short: 'o', kind: 'string', valueName: 'string', help: 'Write to a file, instead of STDOUT' }],
  args: { exact: 1 },
  async run(ctx, p) {
    const output = str(p, 'output');
    if ((output === undefined || output === '') && ctx.io.isStdoutTty) {
      throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    const body = await ctx.client().exportContainer(p.args[0]!);
    if (output === undefined || output === '') await pipeline(body, ctx.io.stdout, { end: false });
    else await pipeline(body, createWriteStream(output, { mode: 0o600 }));
    return 0;
  },
};

export const containerUpdate: Command = {
  path: ['container', 'update'],
  aliases: [['update']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Update configuration of one or more containers',
  flags: [
    { name: 'cpu-shares', short: 'c', kind: 'string', valueName: 'int', help: 'CPU shares (relative weight)' },
    { name: 'cpus', kind: 'string', valueName: 'decimal', help: 'Number of CPUs' },
    { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', help: 'Memory limit' },
    { name: 'memory-swap', kind: 'string', valueName: 'bytes', help: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
    { name: 'pids-limit', kind: 'string', valueName: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
    { name: 'restart', kind: 'string', valueName: 'string', help: 'Restart policy to apply when a container exits' },
  ],
  args: { min: 1 },
  run(ctx, p) {
    const body: Record<string, unknown> = {};
    const mem = str(p, 'memory');
    if (mem !== undefined) body['Memory'] = ramInBytes(mem, '-m, --memory');
    const swap = str(p, 'memory-swap');
    if (swap !== undefined) body['MemorySwap'] = swap === '-1' ? -1 : ramInBytes(swap, '--memory-swap');
    const shares = optionalInt(p, 'cpu-shares', '-c, --cpu-shares');
    if (shares !== undefined) body['CpuShares'] = shares;
    const cpus = str(p, 'cpus');
    if (cpus !== undefined) body['NanoCpus'] = Math.round(Number(cpus) * 1e9);
    const pids = optionalInt(p, 'pids-limit', '--pids-limit');
    if (pids !== undefined) body['PidsLimit'] = pids;
    const restart = str(p, 'restart');
    if (restart !== undefined) {
      const [name, count] = restart.split(':');
      body['RestartPolicy'] = { Name: name, MaximumRetryCount: count === undefined ? 0 : Number(count) };
    }
    if (Object.keys(body).length === 0) throw new Error('you must provide one or more flags when using this command');
    return eachName(ctx, p.args, async (n) => {
      const res = await ctx.client().updateContainer(n, body);
      for (const w of res.Warnings ?? []) await write(ctx.io.stderr, `${w}\n`);
    });
  },
};

export const containerPrune: Command = {
  path: ['container', 'prune'],
  usage: '[OPTIONS]',
  short: 'Remove all stopped containers',
  flags: [
    { name: 'filter', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    if (!bool(p, 'force')) {
      await write(ctx.io.stdout, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
      const answer = (await readLine(ctx.io.stdin)).trim().toLowerCase();
      if (answer !== 'y' && answer !== 'yes') return 0;
    }
    const report = await ctx.client().pruneContainers(parseFilters(list(p, 'filter')));
    let out = '';
    const deleted = report.ContainersDeleted ?? [];
    if (deleted.length > 0) out += `Deleted Containers:\n${deleted.map((d) => `${d}\n`).join('')}\n`;
    out += `Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`;
    await write(ctx.io.stdout, out);
    return 0;
  },
};
