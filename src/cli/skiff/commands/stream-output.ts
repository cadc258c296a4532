// Shows a daemon's JSON progress stream the way docker does, and turns an error record into an error.

import { StreamError, type JsonMessage, type StreamResponse } from '../../../client/index.js';
import { write, type CliContext } from '../context.js';
import { errorOf, ProgressRenderer } from '../render/progress.js';

/** Renders every record to stdout (or discards with `quiet`); throws StreamError on an error record. */
export async function displayStream(ctx: CliContext, res: StreamResponse, opts: { quiet?: boolean; onAux?: (jm: JsonMessage) => void } = {}): Promise<void> {
  const renderer = new ProgressRenderer({ isTerminal: ctx.io.isStdoutTty, ...(ctx.io.columns === undefined ? {} : { columns: ctx.io.columns }) });
  for await (const jm of res.messages) {
    const error = errorOf(jm);
    if (error !== undefined) throw new StreamError(error, jm.errorDetail?.code);
    if (jm.aux !== undefined) {
      opts.onAux?.(jm);
      continue;
    }
    if (opts.quiet === true) continue;
    await write(ctx.io.stdout, renderer.render(jm));
  }
}
