// v2 hugetlb: hugetlb.<size>.max. Also used by the v1 driver on hybrid hosts, where hugetlb is only
// in the unified mount.

import { readdir } from 'node:fs/promises';
import { parseFlatKeyed, parseUint } from '../cgroup-fs.js';
import type { CgroupController } from '../controller.js';
import { checkedPageSize, hugetlbRequestedField } from '../v1/hugetlb.js';

const F = 'linux.resources.hugepageLimits';

export const hugetlbV2: CgroupController = {
  name: 'hugetlb',
  requestedField: hugetlbRequestedField,
  async apply(fs, dir, r) {
    for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
      const size = checkedPageSize(h.pageSize, i);
      await fs.write(dir, `hugetlb.${size}.max`, h.limit === -1 ? 'max' : String(h.limit), `${F}[${i}].limit`);
    }
  },
  async stats(fs, dir, into) {
    const sizes = (await readdir(dir).catch(() => [] as string[])).map((f) => /^hugetlb\.([0-9]+[KMG]B)\.current$/.exec(f)?.[1]).filter((s) => s !== undefined);
    for (const size of sizes) {
      into.hugetlb ??= {};
      into.hugetlb[size] = {
        usageBytes: parseUint(await fs.readOptional(dir, `hugetlb.${size}.current`)),
        failcnt: parseFlatKeyed(await fs.readOptional(dir, `hugetlb.${size}.events`)).max ?? 0,
      };
    }
  },
};
