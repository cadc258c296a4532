// The daemon's Logger (base/log.ts) over pino: JSON lines on stderr, levelled.
import { pino } from 'pino';
import type { Logger, LogFields } from '../base/index.js';

function wrap(p: pino.Logger): Logger {
  return {
    debug: (f: LogFields, m: string) => p.debug(f, m),
    info: (f: LogFields, m: string) => p.info(f, m),
    warn: (f: LogFields, m: string) => p.warn(f, m),
    error: (f: LogFields, m: string) => p.error(f, m),
    child: (f: LogFields) => wrap(p.child(f)),
  };
}

export function createLogger(level: string): Logger {
  return wrap(pino({ level, base: { name: 'skiffd' } }, pino.destination({ fd: 2, sync: true })));
}
