// Image progress events → docker's streamed JSON messages (pkg/jsonmessage): what `docker pull`,
// `push` and `load` render as per-layer progress lines.
import type { ImageProgressEvent } from '../../image/index.js';

export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: Record<string, unknown>;
  stream?: string;
  error?: string;
  errorDetail?: { message: string; code?: number };
}

/** docker's units.HumanSize: three significant digits, decimal units. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** JSONProgress.String(): `[====>     ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const width = 50;
  const filled = Math.min(width, Math.floor((width * current) / total));
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled === width ? '=' : '>') : '') + ' '.repeat(width - filled);
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

export function toJsonMessage(e: ImageProgressEvent): JsonMessage {
  switch (e.kind) {
    case 'status':
      return e.id === undefined ? { status: e.status } : { status: e.status, id: e.id };
    case 'aux':
      return { progressDetail: {}, aux: e.aux };
    case 'layer': {
      const status = e.detail !== undefined && e.detail !== '' ? `${e.status} ${e.detail}` : e.status;
      if (e.current !== undefined) {
        const detail = { current: e.current, ...(e.total === undefined ? {} : { total: e.total }) };
        return { status, progressDetail: detail, progress: progressBar(e.current, e.total ?? 0), id: e.id };
      }
      return { status, progressDetail: {}, id: e.id };
    }
  }
}

export function errorJsonMessage(message: string): JsonMessage {
  return { errorDetail: { message }, error: message };
}
