// skiff-runtime: runc's command line over runtime/. Global flags, dispatch, and runc's conventions
// for errors: exit 1, the message on stderr (logrus text form when logging to stderr, plain when
// --log sends the structured record to a file), `--log-format json` records for containerd.

import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { SkiffError, invalidArgument, type Logger } from '../../base/index.js';
import { SkiffRuntime } from '../../runtime/index.js';
import { parseArgs, str, bool, type FlagSpec } from './args.js';
import { commands } from './commands.js';
import { defaultSpec, features } from './spec-defaults.js';

const VERSION = '0.1.0';
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

const GLOBAL_FLAGS: FlagSpec[] = [
  { names: ['root'], kind: 'string' }, { names: ['log'], kind: 'string' }, { names: ['log-format'], kind: 'string' },
  { names: ['debug'], kind: 'bool' }, { names: ['systemd-cgroup'], kind: 'bool' }, { names: ['criu'], kind: 'string' },
  { names: ['rootless'], kind: 'string' }, { names: ['version', 'v'], kind: 'bool' }, { names: ['help', 'h'], kind: 'bool' },
];

const USAGE = `NAME:
   skiff-runtime - Open Container Initiative runtime (runc-compatible)

USAGE:
   skiff-runtime [global options] command [command options] [arguments...]

COMMANDS:
   create, delete, events, exec, features, kill, list, pause, ps, resume, run, spec, start, state, update

GLOBAL OPTIONS:
   --debug             enable debug logging
   --log value         set the log file to write runtime logs to (default: stderr)
   --log-format value  set the log format ('text' (default), or 'json')
   --root value        root directory for storage of container state (default: "/run/skiff-runtime")
   --systemd-cgroup    not supported: Skiff manages cgroupfs directly
   --help, -h          show help
   --version, -v       print the version
`;

function logLine(format: string, level: string, msg: string): string {
  const time = new Date().toISOString();
  if (format === 'json') return `${JSON.stringify({ level, msg, time })}\n`;
  return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

/** runc's logrus conventions: warnings and (with --debug) debug lines to stderr or the --log file. */
function cliLogger(logFile: string | undefined, format: string, debug: boolean): Logger {
  const write = (level: string, msg: string): void => {
    const line = logLine(format, level, msg);
    if (logFile !== undefined) {
      try {
        appendFileSync(logFile, line);
        return;
      } catch {
        /* fall back to stderr */
      }
    }
    process.stderr.write(line);
  };
  const logger: Logger = {
    debug: (_f, msg) => (debug ? write('debug', msg) : undefined),
    info: (_f, msg) => (debug ? write('info', msg) : undefined),
    warn: (_f, msg) => write('warning', msg),
    error: (_f, msg) => write('error', msg),
    child: () => logger,
  };
  return logger;
}

async function main(argv: string[]): Promise<number> {
  // global flags come before the command
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const a = argv[i]!;
    const spec = GLOBAL_FLAGS.find((s) => s.names.some((n) => a === `--${n}` || a === `-${n}` || a.startsWith(`--${n}=`)));
    i += spec && spec.kind !== 'bool' && !a.includes('=') ? 2 : 1;
  }
  const global = parseArgs(argv.slice(0, i), GLOBAL_FLAGS);
  const logFile = str(global, 'log');
  const logFormat = str(global, 'log-format') ?? 'text';
  const [verb, ...rest] = argv.slice(i);
  try {
    if (bool(global, 'version')) {
      process.stdout.write(`skiff-runtime version ${VERSION}\nspec: 1.2.0\n`);
      return 0;
    }
    if (verb === undefined || bool(global, 'help') || verb === 'help') {
      process.stdout.write(USAGE);
      return verb === undefined && !bool(global, 'help') ? 1 : 0;
    }
    if (bool(global, 'systemd-cgroup')) {
      throw invalidArgument('--systemd-cgroup: the systemd cgroup driver is not supported; use cgroupfs');
    }
    const command = commands[verb];
    if (!command) throw invalidArgument(`No help topic for '${verb}'`);
    const runtime = new SkiffRuntime({
      root: str(global, 'root') ?? '/run/skiff-runtime',
      shimPath: process.env.SKIFF_SHIM ?? join(repoRoot, 'native', 'build', 'skiff-shim'),
      cgroupParent: process.env.SKIFF_CGROUP_PARENT,
      onPlan: bool(global, 'debug') ? (text) => process.stderr.write(`launch plan:\n${text}\n`) : undefined,
      logger: cliLogger(logFile, logFormat, bool(global, 'debug')),
    });
    return await command(runtime, rest, { defaultSpec, features });
  } catch (err) {
    const msg = err instanceof SkiffError ? err.message : err instanceof Error ? err.message : String(err);
    if (logFile !== undefined) {
      try {
        appendFileSync(logFile, logLine(logFormat, 'error', msg));
      } catch {
        /* the log file is the caller's; stderr still gets the message */
      }
      process.stderr.write(`${msg}\n`);
    } else {
      process.stderr.write(logLine(logFormat, 'error', msg));
    }
    if (bool(global, 'debug') && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

// In the bundle (scripts/build.sh) this module shares a file with sys/mount.ts, whose helper worker
// thread loads the same file: only the main thread runs the CLI.
if (isMainThread) process.exitCode = await main(process.argv.slice(2));
