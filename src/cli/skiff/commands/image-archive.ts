// `save`, `load` and `import`: image tars to and from the daemon.

import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { parseReference } from '../../../client/index.js';
import { bool, list, str } from '../args.js';
import { write, type Command } from '../context.js';
import { displayStream } from './stream-output.js';

/** Writes a stream to `path` through a temp file in the same directory and a rename (CopyToFile). */
async function copyToFile(path: string, body: Readable): Promise<void> {
  const temp = join(dirname(path), `.docker_temp_${basename(path)}.${process.pid}`);
  try {
    await pipeline(body, createWriteStream(temp, { mode: 0o600 }));
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

export const imageSave: Command = {
  path: ['image', 'save'],
  aliases: [['save']],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  flags: [
    { name: 'output', short: 'o', kind: 'string', valueName: 'string', help: 'Write to a file, instead of STDOUT' },
    { name: 'platform', kind: 'string', valueName: 'string', help: 'Save only the given platform variant' },
  ],
  args: { min: 1 },
  async run(ctx, p) {
    const output = str(p, 'output');
    if (output === undefined && ctx.io.isStdoutTty) {
      throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    const platform = str(p, 'platform');
    const body = await ctx.client().saveImages(p.args, platform === undefined ? {} : { platform });
    if (output === undefined || output === '-') {
      for await (const chunk of body) await new Promise<void>((resolve, reject) => ctx.io.stdout.write(chunk as Buffer, (e) => (e ? reject(e) : resolve())));
    } else {
      await copyToFile(output, body);
    }
    return 0;
  },
};

export const imageLoad: Command = {
  path: ['image', 'load'],
  aliases: [['load']],
  usage: '[OPTIONS]',
  short: 'Load an image from a tar archive or STDIN',
  flags: [
    { name: 'input', short: 'i', kind: 'string', valueName: 'string', help: 'Read from tar archive file, instead of STDIN' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the load output' },
    { name: 'platform', kind: 'string', valueName: 'string', help: 'Load only the given platform variant' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    const input = str(p, 'input');
    if (input === undefined && ctx.io.isStdinTty) throw new Error('requested load from stdin, but stdin is empty');
    const body = input === undefined ? ctx.io.stdin : createReadStream(input);
    if (input !== undefined) {
      await new Promise<void>((resolve, reject) => {
        (body as ReturnType<typeof createReadStream>).once('open', () => resolve()).once('error', reject);
      });
    }
    const platform = str(p, 'platform');
    const res = await ctx.client().loadImage(body, { quiet: bool(p, 'quiet'), ...(platform === undefined ? {} : { platform }) });
    if (res.contentType.includes('json')) {
      await displayStream(ctx, res);
    } else {
      for await (const jm of res.messages) await write(ctx.io.stdout, JSON.stringify(jm));
    }
    return 0;
  },
};

export const imageImport: Command = {
  path: ['image', 'import'],
  aliases: [['import']],
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  short: 'Import the contents from a tarball to create a filesystem image',
  flags: [
    { name: 'change', short: 'c', kind: 'list', valueName: 'list', help: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', kind: 'string', valueName: 'string', help: 'Set commit message for imported image' },
    { name: 'platform', kind: 'string', valueName: 'string', help: 'Set platform if server is multi-platform capable' },
  ],
  args: { min: 1, max: 2 },
  async run(ctx, p) {
    const [source, repository] = p.args as [string, string | undefined];
    if (repository !== undefined) parseReference(repository);
    let body: Readable | string;
    if (source === '-') body = ctx.io.stdin;
    else if (/^https?:\/\//.test(source)) body = source;
    else {
      const file = createReadStream(source);
      await new Promise<void>((resolve, reject) => file.once('open', () => resolve()).once('error', reject));
      body = file;
    }
    const message = str(p, 'message');
    const platform = str(p, 'platform');
    const res = await ctx.client().importImage({
      source: body,
      ...(repository === undefined ? {} : { repo: repository }),
      ...(message === undefined ? {} : { message }),
      changes: list(p, 'change'),
      ...(platform === undefined ? {} : { platform }),
    });
    await displayStream(ctx, res);
    return 0;
  },
};
