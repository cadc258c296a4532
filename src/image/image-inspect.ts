// The records docker's image endpoints return: /images/json entries (with docker's filters),
// /images/{name}/json and /images/{name}/history.

import { SkiffError } from '../base/index.js';
import { familiarString, normalizeReference } from '../registry/index.js';
import type { ImageRecord } from '../store/index.js';
import { chainIds, loadImage, type ImageContext } from './context.js';
import { findImage, repoDigestsOf, repoTagsOf } from './lookup.js';
import type { HistoryItem, ImageInspect, ImageSummary, ListOptions } from './types.js';

function createdSeconds(created: string | undefined): number {
  const ms = created === undefined ? NaN : Date.parse(created);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

export async function summaryOf(ctx: ImageContext, record: ImageRecord): Promise<ImageSummary> {
  const { config } = await loadImage(ctx, record);
  return {
    Id: record.id,
    ParentId: record.parentId,
    RepoTags: repoTagsOf(ctx.repo, record.id),
    RepoDigests: repoDigestsOf(ctx.repo, record.id),
    Created: createdSeconds(config.created),
    Size: record.sizeBytes,
    SharedSize: -1,
    Labels: config.config?.Labels ?? {},
    Containers: -1,
  };
}

const LIST_FILTERS = new Set(['dangling', 'label', 'before', 'since', 'reference', 'until']);

/** Go's path.Match over a whole string: `*` and `?` do not cross `/`; `[…]` classes. */
export function matchPattern(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]!}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  try {
    return new RegExp(`${re}$`).test(s);
  } catch {
    return false;
  }
}

export function labelFilterMatches(labels: Record<string, string>, filters: readonly string[]): boolean {
  return filters.every((f) => {
    const eq = f.indexOf('=');
    if (eq < 0) return Object.hasOwn(labels, f);
    return labels[f.slice(0, eq)] === f.slice(eq + 1);
  });
}

/** docker's `until`/`before` timestamps: RFC 3339, Unix seconds, or a Go duration ago. */
export function parseTimestampFilter(v: string, nowMs: number): number {
  const d = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(v);
  if (d !== null) {
    const unit = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 }[d[2] as 'ns'];
    return nowMs - Number(d[1]) * unit;
  }
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isFinite(t)) return t;
  throw new SkiffError('InvalidArgument', `invalid filter 'until=${v}': not a timestamp or duration`, { field: 'filters.until' });
}

export async function listImages(ctx: ImageContext, opts: ListOptions = {}): Promise<ImageSummary[]> {
  const filters = opts.filters ?? {};
  for (const key of Object.keys(filters)) {
    if (!LIST_FILTERS.has(key)) throw new SkiffError('InvalidArgument', `invalid filter '${key}'`, { field: `filters.${key}` });
  }
  const dangling = filters.dangling?.[0];
  if (dangling !== undefined && !['true', 'false', '1', '0'].includes(dangling)) {
    throw new SkiffError('InvalidArgument', `invalid filter 'dangling=${dangling}'`, { field: 'filters.dangling' });
  }
  const createdOf = async (name: string): Promise<number> => {
    const found = findImage(ctx.repo, name);
    return createdSeconds((await loadImage(ctx, found.record)).config.created);
  };
  const before = filters.before?.[0] === undefined ? undefined : await createdOf(filters.before[0]);
  const since = filters.since?.[0] === undefined ? undefined : await createdOf(filters.since[0]);
  const until = filters.until?.[0] === undefined ? undefined : parseTimestampFilter(filters.until[0], ctx.now()) / 1000;

  const out: ImageSummary[] = [];
  for (const record of ctx.repo.all()) {
    const s = await summaryOf(ctx, record);
    if (dangling !== undefined && (s.RepoTags.length === 0) !== (dangling === 'true' || dangling === '1')) continue;
    if (filters.label !== undefined && !labelFilterMatches(s.Labels, filters.label)) continue;
    if (before !== undefined && !(s.Created < before)) continue;
    if (since !== undefined && !(s.Created > since)) continue;
    if (until !== undefined && !(s.Created < until)) continue;
    if (filters.reference !== undefined) {
      // As docker: only the tags and digests that match stay in the summary.
      const matches = (r: string): boolean => filters.reference!.some((pat) => {
        const ref = normalizeReference(r);
        const name = familiarString({ ...ref, tag: undefined, digest: undefined });
        return matchPattern(pat, r) || matchPattern(pat, name);
      });
      s.RepoTags = s.RepoTags.filter(matches);
      s.RepoDigests = s.RepoDigests.filter(matches);
      if (s.RepoTags.length === 0 && s.RepoDigests.length === 0) continue;
    }
    out.push(s);
  }
  out.sort((a, b) => b.Created - a.Created);
  return out;
}

export async function inspectImage(ctx: ImageContext, nameOrId: string): Promise<ImageInspect> {
  const { record } = findImage(ctx.repo, nameOrId);
  const { config } = await loadImage(ctx, record);
  const raw = config as unknown as Record<string, unknown>;
  return {
    Id: record.id,
    RepoTags: repoTagsOf(ctx.repo, record.id),
    RepoDigests: repoDigestsOf(ctx.repo, record.id),
    Parent: record.parentId,
    Comment: typeof raw.comment === 'string' ? raw.comment : '',
    Created: config.created ?? '',
    DockerVersion: typeof raw.docker_version === 'string' ? raw.docker_version : '',
    Author: config.author ?? '',
    Config: config.config ?? null,
    Architecture: config.architecture,
    ...(config.variant === undefined ? {} : { Variant: config.variant }),
    Os: config.os,
    ...(config['os.version'] === undefined ? {} : { OsVersion: config['os.version'] }),
    Size: record.sizeBytes,
    GraphDriver: { Name: ctx.driver, Data: null },
    RootFS: { Type: 'layers', Layers: [...config.rootfs.diff_ids] },
    Metadata: { LastTagTime: record.lastTagTime === '' ? '0001-01-01T00:00:00Z' : record.lastTagTime },
  };
}

export async function imageHistory(ctx: ImageContext, nameOrId: string): Promise<HistoryItem[]> {
  const { record } = findImage(ctx.repo, nameOrId);
  const { config } = await loadImage(ctx, record);
  const chain = chainIds(config.rootfs.diff_ids);
  const layerSizes: number[] = [];
  for (const c of chain) {
    try {
      layerSizes.push((await ctx.snapshots.usage(c)).size);
    } catch {
      layerSizes.push(0);
    }
  }
  const history = config.history !== undefined && config.history.length > 0
    ? config.history
    : config.rootfs.diff_ids.map(() => ({ created: config.created }));
  const items: HistoryItem[] = [];
  let layer = 0;
  for (const h of history) {
    const empty = 'empty_layer' in h && h.empty_layer === true;
    items.push({
      Id: '<missing>',
      Created: createdSeconds(h.created),
      CreatedBy: 'created_by' in h ? h.created_by ?? '' : '',
      Tags: null,
      Size: empty ? 0 : (layerSizes[layer] ?? 0),
      Comment: 'comment' in h ? h.comment ?? '' : '',
    });
    if (!empty) layer++;
  }
  items.reverse();
  if (items.length > 0) {
    items[0]!.Id = record.id;
    const tags = repoTagsOf(ctx.repo, record.id);
    items[0]!.Tags = tags.length > 0 ? tags : null;
  }
  return items;
}

