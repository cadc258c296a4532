// skiff: docker's command line for images and the system verbs, talking to skiffd (or any Docker
// Engine API daemon) over its socket. Global flags, dispatch, help, and docker's error conventions:
// daemon errors "Error response from daemon: …" with status 1, flag errors status 125 with the usage
// block, argument-count errors status 1.

import { isMainThread } from 'node:worker_threads';
import { DockerClient, isDaemonError, isStreamError } from '../../client/index.js';
import { isUsageError, parseArgs, UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import { COMMANDS, GROUPS } from './commands/index.js';
import { SKIFF_VERSION } from './commands/system.js';
import { ExitStatus, write, type CliContext, type CliIo, type Command } from './context.js';
import { TemplateError } from './render/template.js';

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'host', short: 'H', kind: 'list' },
  { name: 'config', kind: 'string' },
  { name: 'context', short: 'c', kind: 'string' },
  { name: 'debug', short: 'D', kind: 'bool' },
  { name: 'log-level', short: 'l', kind: 'string' },
  { name: 'tls', kind: 'bool' },
  { name: 'tlsverify', kind: 'bool' },
  { name: 'version', short: 'v', kind: 'bool' },
  { name: 'help', short: 'h', kind: 'bool' },
];

interface Resolved {
  command: Command;
  /** The words that named it (`images`, `image ls`). */
  words: string[];
  rest: string[];
}

function resolve(argv: readonly string[]): Resolved | { group: string; rest: string[] } | undefined {
  const candidates: { command: Command; words: string[] }[] = [];
  for (const command of COMMANDS) {
    for (const words of [command.path, ...(command.aliases ?? [])]) candidates.push({ command, words });
  }
  candidates.sort((a, b) => b.words.length - a.words.length);
  for (const c of candidates) {
    if (c.words.every((w, i) => argv[i] === w)) return { ...c, rest: argv.slice(c.words.length) };
  }
  const first = argv[0];
  if (first !== undefined && first in GROUPS) return { group: first, rest: argv.slice(1) };
  return undefined;
}

function helpFlag(spec: FlagSpec): string {
  const names = `${spec.short !== undefined ? `-${spec.short}, ` : '    '}--${spec.name}${spec.kind === 'bool' ? '' : ` ${spec.valueName ?? 'string'}`}`;
  return `  ${names.padEnd(26)}${spec.help ?? ''}`;
}

function commandHelp(bin: string, r: Resolved): string {
  const aliases = [r.command.path, ...(r.command.aliases ?? [])].map((w) => `${bin} ${w.join(' ')}`);
  let out = `\nUsage:  ${bin} ${r.words.join(' ')} ${r.command.usage}\n\n${r.command.short}\n`;
  if (aliases.length > 1) out += `\nAliases:\n  ${aliases.join(', ')}\n`;
  if (r.command.flags.length > 0) out += `\nOptions:\n${r.command.flags.map(helpFlag).join('\n')}\n`;
  return out;
}

function groupHelp(bin: string, group: string): string {
  const verbs = COMMANDS.filter((c) => c.path[0] === group && c.path.length === 2).sort((a, b) => a.path[1]!.localeCompare(b.path[1]!));
  return `Usage:  ${bin} ${group} COMMAND\n\n${GROUPS[group]}\n\nCommands:\n${verbs.map((c) => `  ${c.path[1]!.padEnd(12)}${c.short}`).join('\n')}\n\nRun '${bin} ${group} COMMAND --help' for more information on a command.\n`;
}

function mainHelp(bin: string): string {
  const top = COMMANDS.map((c) => ({ name: (c.aliases ?? []).find((a) => a.length === 1)?.[0] ?? (c.path.length === 1 ? c.path[0]! : ''), c }))
    .filter((x) => x.name !== '')
    .sort((a, b) => a.name.localeCompare(b.name));
  return `\nUsage:  ${bin} [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\nManagement Commands:\n${Object.entries(GROUPS).map(([g, d]) => `  ${g.padEnd(12)}${d}`).join('\n')}\n\nCommands:\n${top.map((x) => `  ${x.name.padEnd(12)}${x.c.short}`).join('\n')}\n\nGlobal Options:\n  -H, --host list          Daemon socket to connect to (default ${'unix:///run/skiff/skiff.sock'})\n  -v, --version            Print version information and quit\n\nRun '${bin} COMMAND --help' for more information on a command.\n`;
}

function checkArgs(bin: string, r: Resolved, p: ParsedArgs): void {
  const { min, max, exact } = r.command.args;
  const n = p.args.length;
  const path = `${bin} ${r.words.join(' ')}`;
  const plural = (k: number): string => (k === 1 ? 'argument' : 'arguments');
  if (exact !== undefined && n !== exact) {
    throw new UsageError(exact === 0 ? `'${path}' accepts no arguments` : `'${path}' requires ${exact} ${plural(exact)}`, 'args');
  }
  if (min !== undefined && n < min) throw new UsageError(`'${path}' requires at least ${min} ${plural(min)}`, 'args-min');
  if (max !== undefined && n > max) throw new UsageError(`'${path}' requires at most ${max} ${plural(max)}`, 'args');
}

/** The text docker prints for an error that is not a usage error. */
export function describeError(err: unknown): string {
  if (isDaemonError(err)) return `Error response from daemon: ${err.message}`;
  if (isStreamError(err)) return err.message;
  if (err instanceof TemplateError) return `template parsing error: ${err.message}`;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.syscall === 'string' && /^E[A-Z]+$/.test(e.code)) {
    const text = e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ .*$/, '');
    return `${e.syscall}${e.path !== undefined ? ` ${e.path}` : ''}: ${text}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv, bin = 'skiff'): Promise<number> {
  let clientInstance: DockerClient | undefined;
  let resolved: Resolved | undefined;
  try {
    const globals = parseArgs(GLOBAL_FLAGS, argv, { interspersed: false });
    if (globals.bools.get('version') === true) {
      await write(io.stdout, `${bin} version ${SKIFF_VERSION}\n`);
      return 0;
    }
    const hosts = globals.lists.get('host') ?? [];
    if (hosts.length > 1) throw new Error('Specify only one -H');
    const configDirFlag = globals.strings.get('config');
    const ctxEnv = configDirFlag === undefined ? env : { ...env, DOCKER_CONFIG: configDirFlag };
    const host = hosts[0] ?? (env['DOCKER_HOST'] === '' ? undefined : env['DOCKER_HOST']);
    const ctx: CliContext = {
      io,
      env: ctxEnv,
      host,
      client: () => (clientInstance ??= new DockerClient({
        ...(host === undefined ? {} : { host }),
        ...(env['DOCKER_API_VERSION'] !== undefined && env['DOCKER_API_VERSION'] !== '' ? { apiVersion: env['DOCKER_API_VERSION'] } : {}),
        userAgent: `Docker-Client/${SKIFF_VERSION} (linux)`,
      })),
    };
    if (globals.args.length === 0 || globals.bools.get('help') === true) {
      await write(io.stdout, mainHelp(bin));
      return 0;
    }
    const found = resolve(globals.args);
    if (found === undefined) {
      await write(io.stderr, `${bin}: unknown command: ${bin} ${globals.args[0]}\n\nRun '${bin} --help' for more information\n`);
      return 1;
    }
    if ('group' in found) {
      if (found.rest.length === 0 || found.rest[0] === '--help' || found.rest[0] === '-h') {
        await write(io.stdout, groupHelp(bin, found.group));
        return 0;
      }
      await write(io.stderr, `${bin}: unknown command: ${bin} ${found.group} ${found.rest[0]}\n\nRun '${bin} ${found.group} --help' for more information\n`);
      return 1;
    }
    resolved = found;
    if (found.rest.includes('--help') || (found.rest.includes('-h') && !found.command.flags.some((f) => f.short === 'h'))) {
      await write(io.stdout, commandHelp(bin, found));
      return 0;
    }
    const parsed = parseArgs(found.command.flags, found.rest, { interspersed: found.command.noInterspersed !== true });
    checkArgs(bin, found, parsed);
    return await found.command.run(ctx, parsed);
  } catch (err) {
    if (err instanceof ExitStatus) return err.status;
    if (isUsageError(err)) {
      const path = resolved === undefined ? bin : `${bin} ${resolved.words.join(' ')}`;
      const usage = resolved === undefined ? `${bin} [OPTIONS] COMMAND` : `${path} ${resolved.command.usage}`;
      if (err.kind === 'flag') {
        await write(io.stderr, `${err.message}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information\n`);
        return 125;
      }
      const verb = err.kind === 'args-min' ? 'See' : 'Run';
      await write(io.stderr, `${bin}: ${err.message}\n\nUsage:  ${usage}\n\n${verb} '${path} --help' for more information\n`);
      return 1;
    }
    await write(io.stderr, `${describeError(err)}\n`);
    return 1;
  } finally {
    if (clientInstance !== undefined) await clientInstance.close().catch(() => undefined);
  }
}

function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    isStdoutTty: process.stdout.isTTY === true,
    isStdinTty: process.stdin.isTTY === true,
    columns: process.stdout.isTTY === true ? process.stdout.columns : undefined,
  };
}

const invokedDirectly = isMainThread && process.argv[1] !== undefined && /(?:^|\/)(?:skiff|main\.js|bundle\.mjs)$/.test(process.argv[1]);
if (invokedDirectly) {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const bin = 'skiff';
  main(process.argv.slice(2), processIo(), process.env, bin).then(
    (status) => process.exit(status),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
