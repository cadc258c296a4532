// `image prune`: dangling images (or all unused with -a), after a y/N question unless -f.

import { bool, list, parseFilters } from '../args.js';
import { readLine, write, type Command } from '../context.js';
import { humanSize } from '../render/units.js';

const WARNING_DANGLING = 'WARNING! This will remove all dangling images.';
const WARNING_ALL = 'WARNING! This will remove all images without at least one container associated to them.';

export const imagePrune: Command = {
  path: ['image', 'prune'],
  usage: '[OPTIONS]',
  short: 'Remove unused images',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused images, not just dangling ones' },
    { name: 'filter', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    const all = bool(p, 'all');
    const filters = parseFilters(list(p, 'filter'));
    filters['dangling'] = [all ? 'false' : 'true'];
    if (!bool(p, 'force')) {
      await write(ctx.io.stdout, `${all ? WARNING_ALL : WARNING_DANGLING}\nAre you sure you want to continue? [y/N] `);
      const answer = (await readLine(ctx.io.stdin)).trim().toLowerCase();
      if (answer !== 'y' && answer !== 'yes') return 0;
    }
    const report = await ctx.client().pruneImages(filters);
    let out = '';
    const deleted = report.ImagesDeleted ?? [];
    if (deleted.length > 0) {
      out += 'Deleted Images:\n';
      for (const d of deleted) out += d.Untagged !== undefined && d.Untagged !== '' ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted ?? ''}\n`;
      out += '\n';
    }
    out += `Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`;
    await write(ctx.io.stdout, out);
    return 0;
  },
};
