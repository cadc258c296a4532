// v2 io: weight to io.bfq.weight when BFQ is there (same 10-1000 range as v1), else io.weight with
// runc's linear conversion to 1-10000; throttles become io.max `maj:min rbps=… wbps=… riops=… wiops=…`.

import { notImplemented } from '../../../base/index.js';
import type { CgroupController } from '../controller.js';
import type { BlkioEntry } from '../types.js';

const F = 'linux.resources.blockIO';

/** runc's ConvertBlkIOToCgroupV2Value: [10, 1000] → [1, 10000]. */
export function convertBlkioWeightToV2(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

const THROTTLES = [
  ['throttleReadBpsDevice', 'rbps'],
  ['throttleWriteBpsDevice', 'wbps'],
  ['throttleReadIOPSDevice', 'riops'],
  ['throttleWriteIOPSDevice', 'wiops'],
] as const;

/** `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0` lines → docker-style entries. */
export function parseIoStat(text: string | undefined): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    if (dev === undefined || !dev.includes(':')) continue;
    const [major, minor] = dev.split(':').map(Number) as [number, number];
    const kv = Object.fromEntries(kvs.map((s) => s.split('=')).map(([k, v]) => [k, Number(v)]));
    bytes.push({ major, minor, op: 'Read', value: kv.rbytes ?? 0 }, { major, minor, op: 'Write', value: kv.wbytes ?? 0 });
    ios.push({ major, minor, op: 'Read', value: kv.rios ?? 0 }, { major, minor, op: 'Write', value: kv.wios ?? 0 });
  }
  return { bytes, ios };
}

export const ioV2: CgroupController = {
  name: 'io',
  requestedField(r) {
    const b = r.blockIO;
    if (b === undefined) return undefined;
    if ((b.weight ?? 0) !== 0) return `${F}.weight`;
    if ((b.weightDevice?.length ?? 0) > 0) return `${F}.weightDevice`;
    for (const [key] of THROTTLES) if ((b[key]?.length ?? 0) > 0) return `${F}.${key}`;
    return undefined;
  },
  async apply(fs, dir, r) {
    const b = r.blockIO;
    if (b === undefined) return;
    if ((b.leafWeight ?? 0) !== 0) {
      throw notImplemented(`${F}.leafWeight: not supported with cgroup v2`, { field: `${F}.leafWeight` });
    }
    const bfq = await fs.exists(dir, 'io.bfq.weight');
    if (b.weight !== undefined && b.weight !== 0) {
      if (bfq) await fs.write(dir, 'io.bfq.weight', String(b.weight), `${F}.weight`);
      else await fs.write(dir, 'io.weight', String(convertBlkioWeightToV2(b.weight)), `${F}.weight`);
    }
    for (const [i, wd] of (b.weightDevice ?? []).entries()) {
      const field = `${F}.weightDevice[${i}]`;
      if ((wd.leafWeight ?? 0) !== 0) throw notImplemented(`${field}.leafWeight: not supported with cgroup v2`, { field: `${field}.leafWeight` });
      if (wd.weight === undefined || wd.weight === 0) continue;
      if (bfq) await fs.write(dir, 'io.bfq.weight', `${wd.major}:${wd.minor} ${wd.weight}`, `${field}.weight`);
      else await fs.write(dir, 'io.weight', `${wd.major}:${wd.minor} ${convertBlkioWeightToV2(wd.weight)}`, `${field}.weight`);
    }
    for (const [key, name] of THROTTLES) {
      for (const [i, t] of (b[key] ?? []).entries()) {
        await fs.write(dir, 'io.max', `${t.major}:${t.minor} ${name}=${t.rate === 0 ? 'max' : t.rate}`, `${F}.${key}[${i}]`);
      }
    }
  },
  async stats(fs, dir, into) {
    const { bytes, ios } = parseIoStat(await fs.readOptional(dir, 'io.stat'));
    into.blkio = { ioServiceBytes: bytes, ioServiced: ios };
  },
};
