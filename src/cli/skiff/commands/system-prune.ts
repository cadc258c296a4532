// `system prune`: stopped containers, unused networks, (with --volumes) unused anonymous volumes,
// dangling (with -a: unused) images and the build cache, after docker's y/N question unless -f;
// each part's report as its own verb prints it, then the total reclaimed.

import { bool, list, parseFilters } from '../args.js';
import { readLine, write, type Command } from '../context.js';
import { humanSize } from '../render/units.js';

export const systemPrune: Command = {
  path: ['system', 'prune'],
  usage: '[OPTIONS]',
  short: 'Remove unused data',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused images not just dangling ones' },
    { name: 'filter', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "label=<key>=<value>")' },
    { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
    { name: 'volumes', kind: 'bool', help: 'Prune anonymous volumes' },
  ],
  args: { exact: 0 },
  async run(ctx, p) {
    const all = bool(p, 'all');
    const volumes = bool(p, 'volumes');
    const filters = parseFilters(list(p, 'filter'));
    if (!bool(p, 'force')) {
      const warning = [
        'WARNING! This will remove:',
        '  - all stopped containers',
        '  - all networks not used by at least one container',
        ...(volumes ? ['  - all anonymous volumes not used by at least one container'] : []),
        all ? '  - all images without at least one container associated to them' : '  - all dangling images',
        all ? '  - all build cache' : '  - unused build cache',
      ];
      await write(ctx.io.stdout, `${warning.join('\n')}\n\nAre you sure you want to continue? [y/N] `);
      const answer = (await readLine(ctx.io.stdin)).trim().toLowerCase();
      if (answer !== 'y' && answer !== 'yes') return 0;
    }
    const client = ctx.client();
    let out = '';
    let reclaimed = 0;
    const section = (title: string, lines: readonly string[]): void => {
      if (lines.length > 0) out += `${title}:\n${lines.map((l) => `${l}\n`).join('')}\n`;
    };
    const containers = await client.pruneContainers(filters);
    section('Deleted Containers', containers.ContainersDeleted ?? []);
    reclaimed += containers.SpaceReclaimed ?? 0;
    const networks = await client.pruneNetworks(filters);
    section('Deleted Networks', networks.NetworksDeleted ?? []);
    if (volumes) {
      const v = await client.pruneVolumes(filters);
      section('Deleted Volumes', v.VolumesDeleted ?? []);
      reclaimed += v.SpaceReclaimed ?? 0;
    }
    const images = await client.pruneImages({ ...filters, dangling: [all ? 'false' : 'true'] });
    section('Deleted Images', (images.ImagesDeleted ?? []).map((d) => (d.Untagged !== undefined && d.Untagged !== '' ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted ?? ''}`)));
    reclaimed += images.SpaceReclaimed ?? 0;
    out += `Total reclaimed space: ${humanSize(reclaimed)}\n`;
    await write(ctx.io.stdout, out);
    return 0;
  },
};
