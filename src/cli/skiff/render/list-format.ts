// docker's formatter.Context for list commands: `table …` formats get a header row (the template
// run against the header names) and go through the tabwriter; other formats print one line per row;
// `json` means `{{json .}}`. Literal `\t` and `\n` in the format become tab and newline.

import { parseTemplate, executeTemplate, MARSHALS_JSON } from './template.js';
import { tabwrite } from './tabwriter.js';

export function isTableFormat(format: string): boolean {
  return format.startsWith('table');
}

/** Renders rows; `headers` maps each field to its column title (REPOSITORY, IMAGE ID…). */
export function renderList(format: string, rows: readonly object[], headers: Record<string, string>): string {
  const table = isTableFormat(format);
  let body = table ? format.slice('table'.length) : format;
  if (body.trim() === 'json') body = '{{json .}}';
  body = body.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const tpl = parseTemplate(body);
  let out = '';
  for (const row of rows) {
    const marked = Object.defineProperty({ ...row }, MARSHALS_JSON, { value: true, enumerable: false });
    out += `${executeTemplate(tpl, marked, { missingKey: 'error' })}\n`;
  }
  if (!table) return out;
  const header = executeTemplate(tpl, headers, { missingKey: 'zero' });
  return tabwrite(`${header}\n${out}`);
}
