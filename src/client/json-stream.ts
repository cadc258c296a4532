// Newline-delimited JSON records of a progress stream (pull, push, load, import), as they arrive.

import type { JsonMessage } from './types.js';

/** Splits a byte stream into JSON records; tolerates records split across chunks and `\r\n`. */
export async function* jsonMessages(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<JsonMessage> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') yield* parseLine(line);
      nl = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  if (pending.trim() !== '') yield* parseLine(pending.trim());
}

/** One line may hold several concatenated objects (`{..}{..}`): split them at the top level. */
function* parseLine(line: string): Generator<JsonMessage> {
  try {
    yield JSON.parse(line) as JsonMessage;
    return;
  } catch {
    // several objects on one line
  }
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      yield JSON.parse(line.slice(start, i + 1)) as JsonMessage;
      start = i + 1;
    }
  }
}
