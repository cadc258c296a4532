// The payloads of docker's stdcopy frames (8-byte header: stream 1 stdout / 2 stderr, big-endian
// length) joined per stream, for tests that hold the whole received stream in one buffer. (The
// client's streaming demultiplexer is src/client/stdcopy.ts.)

export function stdcopyStreams(framed: Buffer | string): { out: string; err: string } {
  const buf = typeof framed === 'string' ? Buffer.from(framed, 'latin1') : framed;
  let out = '';
  let err = '';
  for (let at = 0; at + 8 <= buf.length;) {
    const len = buf.readUInt32BE(at + 4);
    const data = buf.subarray(at + 8, at + 8 + len).toString();
    if (buf[at] === 2) err += data;
    else out += data;
    at += 8 + len;
  }
  return { out, err };
}
