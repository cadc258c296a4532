// Helpers for the image-archive unit tests: small layers and configs, tars built entry by entry
// (hostile ones too), and the entry list of a tar in memory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import tar from 'tar-stream';
import { sha256Digest, type Digest } from '../../../src/base/index.js';
import type { ArchiveImage } from '../../../src/image/archive/index.js';

export type TarHeader = Parameters<tar.Pack['entry']>[0];

export interface TarItem {
  header: TarHeader;
  data?: Buffer | string;
}

export async function makeTar(items: TarItem[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const it of items) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (it.data !== undefined) pack.entry({ mtime: new Date(0), ...it.header }, it.data, cb);
      else pack.entry({ mtime: new Date(0), ...it.header }, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface ListedEntry {
  name: string;
  type: string;
  size: number;
  mode: number;
  mtime: number;
  data: Buffer;
}

export async function listTar(buf: Buffer): Promise<ListedEntry[]> {
  const extract = tar.extract();
  const out: ListedEntry[] = [];
  const feeding = (async () => {
    extract.end(buf);
  })();
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.push({ name: e.header.name, type: e.header.type, size: e.header.size, mode: e.header.mode, mtime: e.header.mtime.getTime(), data: Buffer.concat(chunks) });
  }
  await feeding;
  return out;
}

/** An uncompressed layer tar holding `files` (name → content). */
export function layerTar(files: Record<string, string>): Promise<Buffer> {
  return makeTar(Object.entries(files).map(([name, data]) => ({ header: { name, type: 'file', mode: 0o644 }, data })));
}

export function configFor(diffIds: Digest[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-02T03:04:05.123Z',
    config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    ...extra,
  }));
}

export function archiveImage(layers: Buffer[], repoTags: string[], extra: Record<string, unknown> = {}): ArchiveImage {
  const diffIds = layers.map((l) => sha256Digest(l));
  const configBytes = configFor(diffIds, extra);
  return {
    configBytes,
    id: sha256Digest(configBytes),
    repoTags,
    layers: layers.map((l, i) => ({ diffId: diffIds[i]!, open: () => Promise.resolve(Readable.from([l])) })),
  };
}

export class Collect extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export async function workDir(t: TestContext, prefix = 'skiff-archive-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const hex = (d: Digest): string => d.slice(7);
