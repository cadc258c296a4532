// `image inspect` / `inspect`: the daemon's JSON objects, indented like docker (or one `--format`
// line each); names that fail are reported after the ones that worked, and the status is 1.

import { isDaemonError } from '../../../client/index.js';
import { str } from '../args.js';
import { write, ExitStatus, type Command } from '../context.js';
import { inspectArray } from '../render/json-indent.js';
import { executeTemplate, parseFormat, TemplateError } from '../render/template.js';

export function errorText(err: unknown): string {
  if (isDaemonError(err)) return `Error response from daemon: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export const imageInspect: Command = {
  path: ['image', 'inspect'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Display detailed information on one or more images',
  flags: [
    { name: 'format', short: 'f', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'type', kind: 'string', valueName: 'string', help: 'Only "image" is supported' },
    { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes' },
    { name: 'platform', kind: 'string', valueName: 'string', help: 'Inspect a specific platform of the image' },
  ],
  args: { min: 1 },
  async run(ctx, p) {
    const tpl = parseFormat(str(p, 'format'));
    const raws: string[] = [];
    const errors: string[] = [];
    let out = '';
    for (const name of p.args) {
      try {
        const inspected = await ctx.client().inspectImage(name);
        if (tpl === undefined) raws.push(inspected.raw);
        else out += `${executeTemplate(tpl, inspected.value, { missingKey: 'error' })}\n`;
      } catch (err) {
        if (err instanceof TemplateError) {
          await write(ctx.io.stdout, `${out}\n`); // docker flushes what it has, then reports
          throw new Error(`template parsing error: ${err.message.replace(/:\{COL\}/, '')}`, { cause: err });
        }
        errors.push(errorText(err));
      }
    }
    await write(ctx.io.stdout, tpl === undefined ? inspectArray(raws) : out);
    if (errors.length > 0) {
      await write(ctx.io.stderr, `${errors.join('\n')}\n`);
      throw new ExitStatus(1);
    }
    return 0;
  },
};
