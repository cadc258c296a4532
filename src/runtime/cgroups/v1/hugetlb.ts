// v1 hugetlb: hugetlb.<size>.limit_in_bytes. On a hybrid host the controller lives in the unified
// mount instead, and the v2 module does the work.

import { invalidArgument } from '../../../base/index.js';
import type { LinuxResources } from '../../../oci/index.js';
import { parseUint } from '../cgroup-fs.js';
import type { CgroupController } from '../controller.js';

const F = 'linux.resources.hugepageLimits';

/** `2MB`, `1GB`, `64KB`: the suffix the kernel uses in hugetlb file names. */
export function checkedPageSize(pageSize: string, i: number): string {
  if (!/^[1-9][0-9]*[KMG]B$/.test(pageSize)) {
    throw invalidArgument(`${F}[${i}].pageSize: invalid huge page size "${pageSize}"`, { field: `${F}[${i}].pageSize` });
  }
  return pageSize;
}

export const hugetlbRequestedField = (r: LinuxResources): string | undefined =>
  (r.hugepageLimits?.length ?? 0) > 0 ? F : undefined;

export const hugetlbV1: CgroupController = {
  name: 'hugetlb',
  requestedField: hugetlbRequestedField,
  async apply(fs, dir, r) {
    for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
      const size = checkedPageSize(h.pageSize, i);
      await fs.write(dir, `hugetlb.${size}.limit_in_bytes`, String(h.limit), `${F}[${i}].limit`);
    }
  },
  async stats(fs, dir, into) {
    for (const size of (await fs.readOptional(dir, 'hugetlb.2MB.usage_in_bytes')) === undefined ? [] : ['2MB']) {
      into.hugetlb ??= {};
      into.hugetlb[size] = {
        usageBytes: parseUint(await fs.readOptional(dir, `hugetlb.${size}.usage_in_bytes`)),
        maxUsageBytes: parseUint(await fs.readOptional(dir, `hugetlb.${size}.max_usage_in_bytes`)),
        failcnt: parseUint(await fs.readOptional(dir, `hugetlb.${size}.failcnt`)),
      };
    }
  },
};
