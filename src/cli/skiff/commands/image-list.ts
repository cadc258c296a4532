// `images` / `image ls`: docker's image table (formatter/image.go): one row per repository:tag (and
// per digest with --digests), `<none>` rows for dangling images, truncated ids, human sizes.

import { familiarName, parseReference, type ImageSummary } from '../../../client/index.js';
import { bool, list, parseFilters, str } from '../args.js';
import { write, type Command } from '../context.js';
import { renderList } from '../render/list-format.js';
import { goTimeString, humanSince, humanSize, humanSizeWithPrecision } from '../render/units.js';

export const IMAGE_HEADERS: Record<string, string> = {
  Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'VIRTUAL SIZE',
};

const TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const TABLE_DIGESTS = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

/** `sha256:abc…` → `abc…` (12 characters): stringid.TruncateID. */
export function truncateId(id: string): string {
  const bare = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  return bare.slice(0, 12);
}

export interface ImageRow {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

/** The rows docker prints for the images (imageFormat / imageFormatTaggedAndDigest). */
export function imageRows(images: readonly ImageSummary[], opts: { trunc: boolean; digests: boolean; nowMs?: number }): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const row = (repo: string, tag: string, digest: string): ImageRow => {
      const size = img.Size;
      const shared = img.SharedSize;
      const virtual = img.VirtualSize ?? img.Size;
      const containers = typeof img.Containers === 'number' ? img.Containers : -1;
      return {
        Containers: containers === -1 ? 'N/A' : String(containers),
        CreatedAt: goTimeString(img.Created),
        CreatedSince: humanSince(img.Created, opts.nowMs),
        Digest: digest,
        ID: opts.trunc ? truncateId(img.Id) : img.Id,
        Repository: repo,
        SharedSize: shared === -1 || shared === undefined ? 'N/A' : humanSize(shared),
        Size: humanSizeWithPrecision(size, 3),
        Tag: tag,
        UniqueSize: size === -1 || shared === -1 || shared === undefined ? 'N/A' : humanSize(size - shared),
        VirtualSize: humanSize(virtual),
      };
    };
    if (isDangling(img)) {
      rows.push(row('<none>', '<none>', '<none>'));
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const t of img.RepoTags ?? []) {
      try {
        const ref = parseReference(t);
        if (ref.tag === undefined) continue;
        const name = familiarName(ref);
        repoTags.set(name, [...(repoTags.get(name) ?? []), ref.tag]);
      } catch {
        // docker skips references it cannot parse
      }
    }
    for (const d of img.RepoDigests ?? []) {
      try {
        const ref = parseReference(d);
        if (ref.digest === undefined) continue;
        const name = familiarName(ref);
        repoDigests.set(name, [...(repoDigests.get(name) ?? []), ref.digest]);
      } catch {
        // as above
      }
    }
    for (const [repo, tags] of repoTags) {
      let digests = repoDigests.get(repo) ?? [];
      repoDigests.delete(repo);
      if (!opts.digests) digests = [];
      for (const tag of tags) {
        if (digests.length === 0) rows.push(row(repo, tag, '<none>'));
        else for (const d of digests) rows.push(row(repo, tag, d));
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (opts.digests) for (const d of digests) rows.push(row(repo, '<none>', d));
      else rows.push(row(repo, '<none>', ''));
    }
  }
  return rows;
}

/** NewImageFormat: `table` → the default table (or `{{.ID}}` with -q); custom formats win over -q. */
export function imageFormat(format: string | undefined, quiet: boolean, digests: boolean): string {
  const f = format === undefined || format === '' ? 'table' : format;
  if (f === 'table') return quiet ? '{{.ID}}' : digests ? TABLE_DIGESTS : TABLE;
  if (f === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return digests
      ? 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n'
      : 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
  }
  return f;
}

export const imageList: Command = {
  path: ['image', 'ls'],
  aliases: [['images'], ['image', 'list']],
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  short: 'List images',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Show all images (default hides intermediate images)' },
    { name: 'digests', kind: 'bool', help: 'Show digests' },
    { name: 'filter', short: 'f', kind: 'list', valueName: 'filter', help: 'Filter output based on conditions provided' },
    { name: 'format', kind: 'string', valueName: 'string', help: 'Format output using a custom template' },
    { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
  ],
  args: { max: 1 },
  async run(ctx, p) {
    const filters = parseFilters(list(p, 'filter'));
    if (p.args[0] !== undefined) (filters['reference'] ??= []).push(p.args[0]);
    const images = await ctx.client().listImages({ all: bool(p, 'all'), filters });
    const digests = bool(p, 'digests');
    const rows = imageRows(images, { trunc: !bool(p, 'no-trunc'), digests });
    const format = imageFormat(str(p, 'format'), bool(p, 'quiet'), digests);
    await write(ctx.io.stdout, renderList(format, rows, IMAGE_HEADERS));
    return 0;
  },
};
