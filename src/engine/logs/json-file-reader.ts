// Reads what the shim writes (docker's json-file format, native/src/io.c) the way `docker logs` does:
// records in order across the rotated files (<log>.N … <log>.1, <log>), `--tail N` from the end,
// `--since`/`--until` by the record's time, and `--follow` that keeps reading the live file and
// moves on when the shim rotates it (the old file is finished first, then the new one is read from
// its start), until the caller stops it (the container exited and everything was read).
// The shim keeps only whole records in its files (a write cut short by a full disk is cut back), but
// a torn or foreign line is skipped, never returned. When the shim renamed the live file to <log>.1
// and could not create a new one (no space or inode left), it writes on into <log>.1: that file is
// then the live one, until <log> appears.

import { createReadStream, existsSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export interface LogRecord {
  stream: 'stdout' | 'stderr';
  /** The bytes of the line as the container wrote them (with its '\n' unless partial). */
  line: Buffer;
  /** The record's time as written: RFC3339Nano. */
  time: string;
  /** Nanoseconds since the epoch, for since/until comparisons. */
  timeNs: bigint;
}

export interface ReadLogsOptions {
  /** Path of the live log file (`<id>-json.log`). */
  path: string;
  /** docker's max-file: how many rotated files may exist (`.1` … `.N-1`). */
  maxFiles: number;
  /** Only the last N records (before following). */
  tail?: number;
  /** Records at or after this time (ns since the epoch). */
  sinceNs?: bigint;
  /** Records before this time (ns since the epoch). */
  untilNs?: bigint;
  follow?: boolean;
  /** With follow: resolves when following may stop once the file is drained (the container exited). */
  stopWhen?: Promise<void>;
  signal?: AbortSignal;
}

/** RFC3339 with up to 9 fractional digits → ns since the epoch. */
export function parseTimeNs(time: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (m === null) return 0n;
  const seconds = BigInt(Math.floor(Date.parse(`${m[1]}${m[3]}`) / 1000));
  return seconds * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

function parseRecord(text: string): LogRecord | undefined {
  try {
    const r = JSON.parse(text) as { log?: string; stream?: string; time?: string };
    if (typeof r.time !== 'string') return undefined;
    return {
      stream: r.stream === 'stderr' ? 'stderr' : 'stdout',
      line: Buffer.from(r.log ?? '', 'utf8'),
      time: r.time,
      timeNs: parseTimeNs(r.time),
    };
  } catch {
    return undefined; // a torn last line is read again once complete (follow) or skipped
  }
}

/** The existing files, oldest first. */
function filesOf(path: string, maxFiles: number): string[] {
  const files: string[] = [];
  for (let i = Math.max(1, maxFiles) - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) files.push(`${path}.${i}`);
  if (existsSync(path)) files.push(path);
  return files;
}

async function* recordsOf(file: string): AsyncGenerator<LogRecord> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const text of rl) {
    const r = parseRecord(text);
    if (r !== undefined) yield r;
  }
}

function wanted(r: LogRecord, o: ReadLogsOptions): boolean {
  if (o.sinceNs !== undefined && r.timeNs < o.sinceNs) return false;
  if (o.untilNs !== undefined && r.timeNs >= o.untilNs) return false;
  return true;
}

export async function* readLogs(o: ReadLogsOptions): AsyncGenerator<LogRecord> {
  const files = filesOf(o.path, o.maxFiles);
  // no <log>: the shim is writing on into <log>.1 (rotation could not create a new file)
  const liveFile = files.includes(o.path) || !files.includes(`${o.path}.1`) ? o.path : `${o.path}.1`;
  const rotated = files.filter((f) => f !== liveFile);
  // the live file is read up to its last whole line; following continues exactly there
  const live = await readFrom(liveFile, 0);
  const liveRecords = splitRecords(live.text).records;
  if (o.tail !== undefined && o.tail >= 0) {
    // keep the last N wanted records in a ring (files are bounded by max-size, read once)
    const ring: LogRecord[] = [];
    const keep = (r: LogRecord): void => {
      if (!wanted(r, o)) return;
      ring.push(r);
      if (ring.length > o.tail!) ring.shift();
    };
    for (const f of rotated) for await (const r of recordsOf(f)) keep(r);
    liveRecords.forEach(keep);
    yield* ring;
  } else {
    for (const f of rotated) for await (const r of recordsOf(f)) if (wanted(r, o)) yield r;
    for (const r of liveRecords) if (wanted(r, o)) yield r;
  }
  if (o.follow === true) yield* follow(o, live.bytes, live.ino);
}

/** Reads the live file (inode `ino`) from `offset` on, reopening it when the shim rotates it, until stopped. */
async function* follow(o: ReadLogsOptions, offset: number, ino: number): AsyncGenerator<LogRecord> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    wake?.();
  };
  void o.stopWhen?.then(() => {
    stopped = true;
    poke();
  });
  o.signal?.addEventListener('abort', poke, { once: true });
  let watcher: FSWatcher | undefined;
  const dir = o.path.slice(0, o.path.lastIndexOf('/')) || '/';
  try {
    watcher = watch(dir, poke);
  } catch {
    // no inotify: the timer below still polls
  }
  let inode = ino;
  let pending = '';
  try {
    for (;;) {
      const drainedToStop = stopped; // read once more after the stop signal, then end
      // The shim renames the live file away and creates a new one: either may be missing for a moment.
      const st = statOrUndefined(o.path);
      if (st === undefined && inode !== -1 && inodeOf(`${o.path}.1`) === inode) {
        // renamed to <log>.1 and no new <log> yet: the shim may be writing on into it
        const chunk = await readFrom(`${o.path}.1`, offset);
        if (chunk.ino === inode) {
          offset += chunk.bytes;
          for (const r of splitRecords(pending + chunk.text).records) if (wanted(r, o)) yield r;
          pending = '';
        }
      } else if (st !== undefined) {
        if (st.ino !== inode) {
          // rotated: finish the old file (now <path>.1) from our offset, then start the new one at 0
          if (inode !== -1 && inodeOf(`${o.path}.1`) === inode) {
            const rest = await readFrom(`${o.path}.1`, offset);
            if (rest.ino === inode) for (const r of splitRecords(pending + rest.text).records) if (wanted(r, o)) yield r;
          }
          pending = '';
          inode = st.ino;
          offset = 0;
        }
        if (st.size > offset) {
          const chunk = await readFrom(o.path, offset);
          offset += chunk.bytes;
          const { records, rest } = splitRecords(pending + chunk.text);
          pending = rest;
          for (const r of records) if (wanted(r, o)) yield r;
        }
      }
      if (drainedToStop || o.signal?.aborted) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250).unref?.();
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    o.signal?.removeEventListener('abort', poke);
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function inodeOf(path: string): number | undefined {
  return statOrUndefined(path)?.ino;
}

/** Whole lines of `file` from `offset` on, and the file's inode (-1 when it does not exist). */
async function readFrom(file: string, offset: number): Promise<{ text: string; bytes: number; ino: number }> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', bytes: 0, ino: -1 };
    throw err;
  }
  try {
    const { size, ino } = await fh.stat();
    if (size <= offset) return { text: '', bytes: 0, ino };
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    // only whole lines count as read; a torn record is read again next time
    const end = buf.lastIndexOf(0x0a, bytesRead - 1) + 1;
    return { text: buf.subarray(0, end).toString('utf8'), bytes: end, ino };
  } finally {
    await fh.close();
  }
}

function splitRecords(text: string): { records: LogRecord[]; rest: string } {
  const lines = text.split('\n');
  const rest = lines.pop() ?? '';
  return { records: lines.map(parseRecord).filter((r): r is LogRecord => r !== undefined), rest };
}

/** docker's stdcopy frame of one record (no tty), with the optional `--timestamps` prefix. */
export function frameRecord(r: LogRecord, timestamps: boolean): Buffer {
  const payload = timestamps ? Buffer.concat([Buffer.from(`${formatTimeFixed(r.timeNs)} `), r.line]) : r.line;
  const header = Buffer.alloc(8);
  header[0] = r.stream === 'stderr' ? 2 : 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** docker's jsonmessage.RFC3339NanoFixed (always 9 fractional digits, UTC): the `--timestamps` prefix. */
export function formatTimeFixed(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2026-11-24T15:37:26.859Z
  return `${iso.slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}
