// skiffd: parses docker-like flags, starts the daemon, shuts it down cleanly on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { codeOf } from '../base/index.js';
import { resolveConfig, type Flags } from './config.js';
import { createLogger } from './logging.js';
import { SKIFF_VERSION, startDaemon } from './wiring.js';

const USAGE = `Usage:	skiffd [OPTIONS]

A self-sufficient runtime for containers.

Options:
      --config-file string       Daemon configuration file (default "/etc/skiff/daemon.json")
      --data-root string         Root directory of persistent state (default "/var/lib/skiff")
  -D, --debug                    Enable debug mode
      --exec-root string         Root directory for execution state files (default "/run/skiff")
  -H, --host list                Daemon socket(s) to connect to (default unix:///run/skiff/skiff.sock)
      --insecure-registry list   Enable insecure registry communication
  -l, --log-level string         Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -s, --storage-driver string    Storage driver to use (overlay|copy)
  -v, --version                  Print version information and quit
`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', short: 'H', multiple: true },
        'data-root': { type: 'string' },
        'exec-root': { type: 'string' },
        'config-file': { type: 'string' },
        'log-level': { type: 'string', short: 'l' },
        debug: { type: 'boolean', short: 'D' },
        'storage-driver': { type: 'string', short: 's' },
        'insecure-registry': { type: 'string', multiple: true },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nSee 'skiffd --help'.\n`);
    return 125;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version === true) {
    process.stdout.write(`Skiff version ${SKIFF_VERSION}\n`);
    return 0;
  }
  const flags: Flags = {
    ...(values.host === undefined ? {} : { hosts: values.host }),
    ...(values['data-root'] === undefined ? {} : { dataRoot: values['data-root'] }),
    ...(values['exec-root'] === undefined ? {} : { execRoot: values['exec-root'] }),
    ...(values['config-file'] === undefined ? {} : { configFile: values['config-file'] }),
    ...(values['log-level'] === undefined ? {} : { logLevel: values['log-level'] }),
    ...(values.debug === undefined ? {} : { debug: values.debug }),
    ...(values['storage-driver'] === undefined ? {} : { storageDriver: values['storage-driver'] }),
    ...(values['insecure-registry'] === undefined ? {} : { insecureRegistries: values['insecure-registry'] }),
  };
  let config;
  try {
    config = resolveConfig(flags);
  } catch (err) {
    process.stderr.write(`skiffd: ${(err as Error).message}\n`);
    return 1;
  }
  const log = createLogger(config.logLevel);
  if (process.getuid?.() !== 0) {
    log.error({}, 'skiffd needs to be started with root privileges');
    return 1;
  }
  let daemon;
  try {
    daemon = await startDaemon(config, log);
  } catch (err) {
    log.error({ code: codeOf(err), err: (err as Error).message }, `failed to start daemon: ${(err as Error).message}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'processing signal, shutting down');
      daemon.shutdown().then(() => {
        log.info({}, 'daemon shutdown complete');
        resolve(0);
      }, (err: unknown) => {
        log.error({ err: String(err) }, 'shutdown failed');
        resolve(1);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`skiffd: ${String(err)}\n`);
  process.exit(1);
});
