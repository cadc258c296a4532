// `history`: the layers of an image (formatter/history.go).

import type { HistoryItem } from '../../../client/index.js';
import { bool, str } from '../args.js';
import { write, type Command } from '../context.js';
import { renderList } from '../render/list-format.js';
import { humanSince, humanSizeWithPrecision, rfc3339 } from '../render/units.js';
import { truncateId } from './image-list.js';

export const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT',
};

/** formatter.Ellipsis for single-width text: cut to `max` characters ending in `…`. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (max <= 0) return '';
  if (chars.length <= max) return s;
  return `${chars.slice(0, max - 1).join('')}…`;
}

export interface HistoryRow {
  Comment: string;
  CreatedAt: string;
  CreatedBy: string;
  CreatedSince: string;
  ID: string;
  Size: string;
}

export function historyRows(items: readonly HistoryItem[], opts: { trunc: boolean; human: boolean; nowMs?: number }): HistoryRow[] {
  return items.map((h) => {
    const createdBy = h.CreatedBy.replace(/\t/g, ' ');
    return {
      Comment: h.Comment,
      CreatedAt: rfc3339(h.Created),
      CreatedBy: opts.trunc ? ellipsis(createdBy, 45) : createdBy,
      CreatedSince: opts.human ? humanSince(h.Created, opts.nowMs) : rfc3339(h.Created),
      ID: h.Id.startsWith('<') ? h.Id : opts.trunc ? truncateId(h.Id) : h.Id,
      Size: opts.human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
    };
  });
}

export function historyFormat(format: string | undefined, quiet: boolean, human: boolean): string {
  const f = format === undefined || format === '' ? 'table' : format;
  if (f !== 'table') return f;
  if (quiet) return '{{.ID}}';
  return human
    ? 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}'
    : 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
}

export const imageHistory: Command = {
  path: ['image', 'history'],
  aliases: [['history']],
  usage: '[OPTIONS] IMAGE',
  short: 'Show the history of an image',
  flags: [
    { name: 'format', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'human', short: 'H', kind: 'bool', help: 'Print sizes and dates in human readable format (default true)' },
    { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
    { name: 'platform', kind: 'string', valueName: 'string', help: 'Show history for the given platform' },
  ],
  args: { exact: 1 },
  async run(ctx, p) {
    const items = await ctx.client().imageHistory(p.args[0]!);
    const human = p.bools.get('human') ?? true;
    const rows = historyRows(items, { trunc: !bool(p, 'no-trunc'), human });
    await write(ctx.io.stdout, renderList(historyFormat(str(p, 'format'), bool(p, 'quiet'), human), rows, HISTORY_HEADERS));
    return 0;
  },
};
