// v1 blkio: weight goes to blkio.weight, or blkio.bfq.weight when only BFQ provides it (as runc
// picks); per-device weights and throttles are `major:minor value` lines, one write each.

import type { LinuxThrottleDevice } from '../../../oci/index.js';
import type { CgroupFs } from '../cgroup-fs.js';
import type { BlkioEntry, BlkioOp } from '../types.js';
import type { CgroupController } from '../controller.js';

const F = 'linux.resources.blockIO';

const THROTTLES = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
] as const;

async function weightFiles(fs: CgroupFs, dir: string): Promise<[string, string]> {
  if (await fs.exists(dir, 'blkio.weight')) return ['blkio.weight', 'blkio.weight_device'];
  return ['blkio.bfq.weight', 'blkio.bfq.weight_device'];
}

/** `8:0 Read 1234` lines (and a `Total` line) → entries. */
export function parseBlkioRecursive(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, op, value] = line.trim().split(/\s+/);
    if (dev === undefined || op === undefined || value === undefined) continue;
    const [major, minor] = dev.split(':').map(Number);
    if (major === undefined || minor === undefined || Number.isNaN(major) || Number.isNaN(minor)) continue;
    out.push({ major, minor, op: op as BlkioOp, value: Number(value) });
  }
  return out;
}

export const blkioV1: CgroupController = {
  name: 'blkio',
  requestedField(r) {
    const b = r.blockIO;
    if (b === undefined) return undefined;
    if (b.weight !== undefined && b.weight !== 0) return `${F}.weight`;
    if (b.leafWeight !== undefined && b.leafWeight !== 0) return `${F}.leafWeight`;
    if ((b.weightDevice?.length ?? 0) > 0) return `${F}.weightDevice`;
    for (const [key] of THROTTLES) if ((b[key]?.length ?? 0) > 0) return `${F}.${key}`;
    return undefined;
  },
  async apply(fs, dir, r) {
    const b = r.blockIO;
    if (b === undefined) return;
    const [weightFile, weightDeviceFile] = await weightFiles(fs, dir);
    if (b.weight !== undefined && b.weight !== 0) await fs.write(dir, weightFile, String(b.weight), `${F}.weight`);
    if (b.leafWeight !== undefined && b.leafWeight !== 0) {
      await fs.write(dir, 'blkio.leaf_weight', String(b.leafWeight), `${F}.leafWeight`);
    }
    for (const [i, wd] of (b.weightDevice ?? []).entries()) {
      const field = `${F}.weightDevice[${i}]`;
      if (wd.weight !== undefined && wd.weight !== 0) {
        await fs.write(dir, weightDeviceFile, `${wd.major}:${wd.minor} ${wd.weight}`, `${field}.weight`);
      }
      if (wd.leafWeight !== undefined && wd.leafWeight !== 0) {
        await fs.write(dir, 'blkio.leaf_weight_device', `${wd.major}:${wd.minor} ${wd.leafWeight}`, `${field}.leafWeight`);
      }
    }
    for (const [key, file] of THROTTLES) {
      const list: LinuxThrottleDevice[] = b[key] ?? [];
      for (const [i, t] of list.entries()) await fs.write(dir, file, `${t.major}:${t.minor} ${t.rate}`, `${F}.${key}[${i}]`);
    }
  },
  async stats(fs, dir, into) {
    const bytes = (await fs.readOptional(dir, 'blkio.throttle.io_service_bytes_recursive'))
      ?? (await fs.readOptional(dir, 'blkio.throttle.io_service_bytes'));
    const ios = (await fs.readOptional(dir, 'blkio.throttle.io_serviced_recursive'))
      ?? (await fs.readOptional(dir, 'blkio.throttle.io_serviced'));
    into.blkio = { ioServiceBytes: parseBlkioRecursive(bytes), ioServiced: parseBlkioRecursive(ios) };
  },
};
