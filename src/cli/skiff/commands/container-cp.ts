// `cp`: docker's copy semantics over the /containers/{id}/archive endpoints. Container → host: GET
// the tar (rooted at the source's base name) and extract it into DEST (into it when it is a
// directory, else as DEST); `-` writes the tar to stdout. Host → container: stat the destination
// (HEAD), tar the source (its root renamed when DEST does not exist) and PUT it into the directory.

import { createReadStream, createWriteStream, lstatSync, mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync, utimesSync, chmodSync, type Stats } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { isDaemonError } from '../../../client/index.js';
import { bool } from '../args.js';
import { type Command } from '../context.js';

function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

function statOrUndefined(path: string, follow: boolean): Stats | undefined {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Extracts `tarStream` so that its root entry `srcBase` lands at `target`. */
async function extractRenamed(tarStream: Readable, srcBase: string, target: string): Promise<void> {
  const extract = tar.extract();
  const dirTimes: [string, Date][] = [];
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '').replace(/\/$/, '');
    let rel = name === srcBase ? '' : name.startsWith(`${srcBase}/`) ? name.slice(srcBase.length + 1) : name;
    if (rel.split('/').includes('..')) rel = '';
    const dest = rel === '' ? target : join(target, rel);
    const done = (err?: unknown): void => {
      if (err !== undefined) extract.destroy(err as Error);
      else next();
    };
    try {
      if (header.type === 'directory') {
        mkdirSync(dest, { recursive: true });
        chmodSync(dest, (header.mode ?? 0o755) & 0o7777);
        if (header.mtime !== undefined) dirTimes.push([dest, header.mtime]);
        stream.resume();
        stream.on('end', () => done());
      } else if (header.type === 'symlink') {
        symlinkSync(header.linkname ?? '', dest);
        stream.resume();
        stream.on('end', () => done());
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        mkdirSync(dirname(dest), { recursive: true });
        const out = createWriteStream(dest, { mode: (header.mode ?? 0o644) & 0o7777 });
        pipeline(stream, out).then(() => {
          chmodSync(dest, (header.mode ?? 0o644) & 0o7777);
          if (header.mtime !== undefined) utimesSync(dest, header.mtime, header.mtime);
          done();
        }, done);
      } else {
        stream.resume();
        stream.on('end', () => done());
      }
    } catch (err) {
      stream.resume();
      done(err);
    }
  });
  await pipeline(tarStream, extract);
  for (const [d, t] of dirTimes.reverse()) utimesSync(d, t, t);
}

/** A tar of `src` whose root entry is named `rootName`. */
function packPath(src: string, rootName: string, follow: boolean): Readable {
  const pack = tar.pack();
  const add = async (path: string, name: string, followThis: boolean): Promise<void> => {
    const st = followThis ? statSync(path) : lstatSync(path);
    const base = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
    if (st.isDirectory()) {
      pack.entry({ ...base, type: 'directory' });
      for (const child of readdirSync(path).sort()) await add(join(path, child), `${name}/${child}`, false);
    } else if (st.isSymbolicLink()) {
      pack.entry({ ...base, type: 'symlink', linkname: readlinkSync(path) });
    } else if (st.isFile()) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
        createReadStream(path).on('error', reject).pipe(entry);
      });
    }
  };
  add(src, rootName, follow).then(() => pack.finalize(), (err: unknown) => pack.destroy(err as Error));
  return Readable.from(pack as AsyncIterable<Buffer>);
}

export const containerCp: Command = {
  path: ['container', 'cp'],
  aliases: [['cp']],
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tskiff cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  short: 'Copy files/folders between a container and the local filesystem',
  flags: [
    { name: 'archive', short: 'a', kind: 'bool', help: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', kind: 'bool', help: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  args: { exact: 2 },
  async run(ctx, p) {
    const src = splitCpArg(p.args[0]!);
    const dst = splitCpArg(p.args[1]!);
    if (src.container !== undefined && dst.container !== undefined) throw new Error('copying between containers is not supported');
    if (src.container === undefined && dst.container === undefined) throw new Error('must specify at least one container source');
    const client = ctx.client();
    if (src.container !== undefined) {
      if (src.path === '') throw new Error('source can not be empty');
      const { stat, body } = await client.getArchive(src.container, src.path);
      if (dst.path === '-') {
        await pipeline(body, ctx.io.stdout, { end: false });
        return 0;
      }
      const srcBase = stat.name;
      const existing = statOrUndefined(dst.path, true);
      const srcIsDir = (stat.mode & 0x80000000) !== 0;
      if (existing?.isDirectory() === true) {
        await extractRenamed(body, srcBase, join(dst.path, posix.basename(src.path.replace(/\/+$/, '')) === '.' ? '' : srcBase));
      } else {
        if (existing !== undefined && srcIsDir) throw new Error(`cannot copy a directory to a file: ${dst.path}`);
        if (dst.path.endsWith('/') && existing === undefined) throw new Error(`destination directory "${dst.path}" must exist`);
        if (!existsDir(dirname(dst.path))) throw new Error(`no such directory`);
        await extractRenamed(body, srcBase, dst.path);
      }
      return 0;
    }
    // host → container
    const container = dst.container!;
    let destDir = dst.path;
    let rootName: string;
    const local = src.path;
    if (local === '-') {
      await client.putArchive(container, dst.path, ctx.io.stdin, { copyUIDGID: bool(p, 'archive') });
      return 0;
    }
    if (statOrUndefined(local, bool(p, 'follow-link')) === undefined) throw new Error(`lstat ${local}: no such file or directory`);
    try {
      const st = await client.statContainerPath(container, dst.path);
      if ((st.mode & 0x80000000) !== 0) rootName = basename(local.replace(/\/+$/, ''));
      else {
        destDir = posix.dirname(dst.path);
        rootName = posix.basename(dst.path);
      }
    } catch (err) {
      if (!(isDaemonError(err) && err.statusCode === 404)) throw err;
      if (dst.path.endsWith('/')) throw new Error(`destination directory "${dst.path}" must exist`, { cause: err });
      destDir = posix.dirname(dst.path);
      rootName = posix.basename(dst.path);
    }
    await client.putArchive(container, destDir, packPath(local, rootName, bool(p, 'follow-link')), { copyUIDGID: bool(p, 'archive') });
    return 0;
  },
};

function existsDir(path: string): boolean {
  return statOrUndefined(path === '' ? '.' : path, true)?.isDirectory() === true;
}
