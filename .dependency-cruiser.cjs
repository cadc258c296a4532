// The layer rule of STYLE.md §2.2, checked in `npm test`: a module may import only from layers of a
// lower rank and from its own layer; only `index.ts` of another layer may be imported; files marked
// pure may not reach Node I/O or sys/.
const ranks = {
  base: -1, oci: 0,
  sys: 1,
  store: 2, content: 2, runtime: 2,
  registry: 3, snapshot: 3, network: 3, volume: 3,
  image: 4,
  engine: 5,
  build: 6, api: 6, cri: 6, kube: 6, client: 6,
  cli: 7, daemon: 7,
};
const layers = Object.keys(ranks);

const forbidden = [];
for (const from of layers) {
  const notAllowed = layers.filter((to) => to !== from && ranks[to] >= ranks[from]);
  if (notAllowed.length === 0) continue;
  forbidden.push({
    name: `layer-${from}`,
    comment: `${from}/ (rank ${ranks[from]}) may only import layers of a lower rank`,
    severity: 'error',
    from: { path: `^src/${from}/` },
    to: { path: `^src/(${notAllowed.join('|')})/` },
  });
}

forbidden.push({
  name: 'no-deep-import',
  comment: 'other layers are reached through their index.ts only',
  severity: 'error',
  from: { path: '^src/([^/]+)/' },
  to: {
    path: '^src/([^/]+)/.+',
    pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'],
  },
});

forbidden.push({
  name: 'pure-stays-pure',
  comment: 'pure layers and files (base/, oci/, *.pure.ts, runtime/planner/, runtime/seccomp/) import no Node I/O and no sys/',
  severity: 'error',
  from: { path: '^src/(base|oci)/|^src/runtime/(planner|seccomp)/|\\.pure\\.ts$' },
  to: { path: '^(node:)?(fs|fs/promises|child_process|net|dgram|http|https|os)$|^src/sys/' },
});

forbidden.push({
  name: 'no-circular',
  severity: 'error',
  from: {},
  to: { circular: true },
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
