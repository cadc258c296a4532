// `pull` and `push`: registry transfers done by the daemon; the CLI shows the progress stream and,
// for pull, the full reference at the end (or only that with -q).

import { DEFAULT_TAG, fullName, parseReference, referenceString, registryKey, withDefaultTag } from '../../../client/index.js';
import { bool, str } from '../args.js';
import { write, type Command } from '../context.js';
import { credentialsFor } from '../docker-config.js';
import { displayStream } from './stream-output.js';

export const imagePull: Command = {
  path: ['image', 'pull'],
  aliases: [['pull']],
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  short: 'Download an image from a registry',
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', help: 'Download all tagged images in the repository' },
    { name: 'disable-content-trust', kind: 'bool', help: 'Skip image verification (default true)' },
    { name: 'platform', kind: 'string', valueName: 'string', help: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress verbose output' },
  ],
  args: { exact: 1 },
  async run(ctx, p) {
    const quiet = bool(p, 'quiet');
    const allTags = bool(p, 'all-tags');
    let ref = parseReference(p.args[0]!);
    if (allTags && (ref.tag !== undefined || ref.digest !== undefined)) throw new Error('tag can\'t be used with --all-tags/-a');
    if (!allTags && ref.tag === undefined && ref.digest === undefined) {
      ref = withDefaultTag(ref);
      if (!quiet) await write(ctx.io.stdout, `Using default tag: ${DEFAULT_TAG}\n`);
    }
    const platform = str(p, 'platform');
    const auth = credentialsFor(ctx.env, registryKey(ref.domain));
    const res = await ctx.client().pullImage({
      fromImage: fullName(ref),
      ...(allTags ? {} : { tag: ref.digest ?? ref.tag! }),
      ...(platform === undefined ? {} : { platform }),
      ...(auth === undefined ? {} : { auth }),
    });
    await displayStream(ctx, res, { quiet });
    await write(ctx.io.stdout, `${allTags ? fullName(ref) : referenceString(ref)}\n`);
    return 0;
  },
};

export const imagePush: Command = {
  path: ['image', 'push'],
  aliases: [['push']],
  usage: '[OPTIONS] NAME[:TAG]',
  short: 'Upload an image to a registry',
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', help: 'Push all tags of an image to the repository' },
    { name: 'disable-content-trust', kind: 'bool', help: 'Skip image signing (default true)' },
    { name: 'platform', kind: 'string', valueName: 'string', help: 'Push a platform-specific manifest as a single-platform image' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress verbose output' },
  ],
  args: { exact: 1 },
  async run(ctx, p) {
    const quiet = bool(p, 'quiet');
    const allTags = bool(p, 'all-tags');
    let ref = parseReference(p.args[0]!);
    if (ref.digest !== undefined) throw new Error('cannot push a digest reference');
    if (allTags && ref.tag !== undefined) throw new Error('tag can\'t be used with --all-tags/-a');
    if (!allTags && ref.tag === undefined) {
      ref = withDefaultTag(ref);
      if (!quiet) await write(ctx.io.stdout, `Using default tag: ${DEFAULT_TAG}\n`);
    }
    const platform = str(p, 'platform');
    const auth = credentialsFor(ctx.env, registryKey(ref.domain));
    const res = await ctx.client().pushImage(fullName(ref), {
      ...(allTags ? {} : { tag: ref.tag! }),
      ...(platform === undefined ? {} : { platform }),
      ...(auth === undefined ? {} : { auth }),
    });
    await displayStream(ctx, res, { quiet });
    if (quiet) await write(ctx.io.stdout, `${referenceString(ref)}\n`);
    return 0;
  },
};
