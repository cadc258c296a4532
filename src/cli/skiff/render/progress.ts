// docker's jsonmessage display: progress records of pull/push/load/import. On a terminal each
// layer id keeps its own line (cursor up/down, clear line) and shows a progress bar; elsewhere
// only records without a progress bar print, as `<id>: <status>` lines.

import type { JsonMessage } from '../../../client/index.js';
import { humanSize } from './units.js';

export interface ProgressOptions {
  isTerminal: boolean;
  /** Terminal width; docker assumes 200 when unknown. */
  columns?: number;
  nowMs?: () => number;
}

/** The bar and numbers of a record (JSONProgress.String): `[==>   ]  1.2MB/3.4MB 2s`. */
export function progressString(detail: NonNullable<JsonMessage['progressDetail']>, width: number, nowMs: number): string {
  const current = detail.current ?? 0;
  const total = detail.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) {
    return detail.units === undefined || detail.units === '' ? humanSize(current).padStart(8) : `${current} ${detail.units}`;
  }
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = '';
  if (width > 110) bar = `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] `;
  let numbers = '';
  if (detail.hidecounts === true) numbers = '';
  else if (detail.units === undefined || detail.units === '') {
    numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  } else {
    numbers = current > total ? `${current} ${detail.units}` : `${current}/${total} ${detail.units}`;
  }
  let left = '';
  if (current > 0 && detail.start !== undefined && detail.start > 0 && percentage < 50 && width > 50) {
    const fromStartMs = nowMs - detail.start * 1000;
    const leftS = Math.trunc(((total - current) * (fromStartMs / current)) / 1000);
    left = ` ${goDuration(leftS)}`;
  }
  return bar + numbers + left;
}

/** Go's Duration.String() for whole seconds: `0s`, `45s`, `1m30s`, `2h0m5s`. */
export function goDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.trunc(seconds / 3600);
  const m = Math.trunc((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** Stateful renderer: feed records, get the text to write (DisplayJSONMessagesStream). */
export class ProgressRenderer {
  private ids = new Map<string, number>();
  private readonly opts: ProgressOptions;

  constructor(opts: ProgressOptions) {
    this.opts = opts;
  }

  /** Text for one record; throws nothing: error records are the caller's (see `errorOf`). */
  render(jm: JsonMessage): string {
    if (jm.aux !== undefined) return '';
    const tty = this.opts.isTerminal;
    const width = this.opts.columns ?? 200;
    const hasProgress = jm.progressDetail !== undefined;
    const progress = hasProgress ? progressString(jm.progressDetail!, width, this.opts.nowMs?.() ?? Date.now()) : '';
    let out = '';
    let diff = 0;
    const id = jm.id ?? '';
    if (id !== '' && (hasProgress || (jm.progress ?? '') !== '')) {
      let line = this.ids.get(id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(id, line);
        if (tty) out += '\n';
      }
      diff = this.ids.size - line;
      if (tty && diff > 0) out += `\x1b[${diff}A`;
    } else {
      this.ids = new Map();
    }
    out += this.display(jm, tty, hasProgress, progress);
    if (id !== '' && tty && diff > 0) out += `\x1b[${diff}B`;
    return out;
  }

  private display(jm: JsonMessage, tty: boolean, hasProgress: boolean, progress: string): string {
    let out = '';
    let endl = '';
    if (tty && (jm.stream ?? '') === '' && hasProgress) {
      out += '\x1b[2K\r';
      endl = '\r';
    } else if (hasProgress && progress !== '') {
      return ''; // no progress bars off a terminal
    }
    if ((jm.id ?? '') !== '') out += `${jm.id}: `;
    if ((jm.from ?? '') !== '') out += `(from ${jm.from}) `;
    if (hasProgress && tty) out += `${jm.status ?? ''} ${progress}${endl}`;
    else if ((jm.progress ?? '') !== '') out += `${jm.status ?? ''} ${jm.progress}${endl}`;
    else if ((jm.stream ?? '') !== '') out += `${jm.stream}${endl}`;
    else out += `${jm.status ?? ''}${endl}\n`;
    return out;
  }
}

/** The error of an error record (`errorDetail.message` first, then `error`), or undefined. */
export function errorOf(jm: JsonMessage): string | undefined {
  if (jm.errorDetail !== undefined && (jm.errorDetail.message ?? '') !== '') return jm.errorDetail.message;
  if ((jm.error ?? '') !== '') return jm.error;
  return undefined;
}
