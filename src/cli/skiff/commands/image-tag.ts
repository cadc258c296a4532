// `tag SOURCE TARGET`: the target is normalised like docker's client (full name, `latest` by default).

import { fullName, parseReference, withDefaultTag } from '../../../client/index.js';
import type { Command } from '../context.js';

function refError(name: string, err: unknown): Error {
  return new Error(`Error parsing reference: ${JSON.stringify(name)} is not a valid repository/tag: ${(err as Error).message}`);
}

export const imageTag: Command = {
  path: ['image', 'tag'],
  aliases: [['tag']],
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: [],
  args: { exact: 2 },
  async run(ctx, p) {
    const [source, target] = p.args as [string, string];
    // ParseAnyReference: a full id, `sha256:<id>`, or a name
    if (!/^(sha256:)?[a-f0-9]{64}$/.test(source)) {
      try {
        parseReference(source);
      } catch (err) {
        throw refError(source, err);
      }
    }
    let ref;
    try {
      ref = parseReference(target);
    } catch (err) {
      throw refError(target, err);
    }
    if (ref.digest !== undefined) throw new Error('refusing to create a tag with a digest reference');
    ref = withDefaultTag(ref);
    await ctx.client().tagImage(source, fullName(ref), ref.tag);
    return 0;
  },
};
