// moby's stdcopy: the multiplexed attach/logs/exec stream without a tty. Each frame is an 8-byte
// header (stream type: 0 stdin, 1 stdout, 2 stderr, 3 systemerr; three zero bytes; big-endian
// uint32 length) followed by the payload.

import { SkiffError } from '../base/index.js';

export type StdStream = 'stdout' | 'stderr';

/**
 * Reads frames from `source` and hands each payload to `sink`; resolves at the end of the stream.
 * A systemerr frame rejects with its text (docker's "error from daemon in stream").
 */
export async function demultiplex(source: AsyncIterable<Buffer | Uint8Array | string>, sink: (stream: StdStream, data: Buffer) => void | Promise<void>): Promise<void> {
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    buf = buf.length === 0 ? b : Buffer.concat([buf, b]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const kind = buf[0];
      const payload = buf.subarray(8, 8 + size);
      buf = buf.subarray(8 + size);
      if (kind === 3) throw new SkiffError('Internal', `error from daemon in stream: ${payload.toString('utf8')}`);
      if (kind === 0 || kind === 1) await sink('stdout', payload);
      else if (kind === 2) await sink('stderr', payload);
      else throw new SkiffError('Internal', `unrecognized input header: ${kind}`);
    }
  }
}

/** One frame (for tests and for servers that write the stream). */
export function frame(stream: 0 | 1 | 2 | 3, payload: Buffer | string): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(p.length, 4);
  return Buffer.concat([h, p]);
}
