// `rmi` / `image rm`: Untagged:/Deleted: lines per image; failures are collected and printed last.

import { bool } from '../args.js';
import { write, ExitStatus, type Command } from '../context.js';
import { errorText } from './image-inspect.js';

export const imageRemove: Command = {
  path: ['image', 'rm'],
  aliases: [['rmi'], ['image', 'remove']],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Remove one or more images',
  flags: [
    { name: 'force', short: 'f', kind: 'bool', help: 'Force removal of the image' },
    { name: 'no-prune', kind: 'bool', help: 'Do not delete untagged parents' },
    { name: 'platform', kind: 'list', valueName: 'strings', help: 'Remove only the given platform variant' },
  ],
  args: { min: 1 },
  async run(ctx, p) {
    const errors: string[] = [];
    for (const name of p.args) {
      try {
        const items = await ctx.client().removeImage(name, { force: bool(p, 'force'), noPrune: bool(p, 'no-prune') });
        let out = '';
        for (const item of items ?? []) {
          if (item.Deleted !== undefined && item.Deleted !== '') out += `Deleted: ${item.Deleted}\n`;
          else if (item.Untagged !== undefined) out += `Untagged: ${item.Untagged}\n`;
        }
        await write(ctx.io.stdout, out);
      } catch (err) {
        errors.push(errorText(err));
      }
    }
    if (errors.length > 0) {
      await write(ctx.io.stderr, `${errors.join('\n')}\n`);
      throw new ExitStatus(1);
    }
    return 0;
  },
};
