// Go's text/tabwriter as docker's tables use it (minwidth 10, tabwidth 1, padding 3, pad with ' ').
// Cells end at a tab; a line's last cell is not aligned; a column's width is set per block of
// consecutive lines that have that column, exactly as Go computes it.

export interface TabwriterOptions {
  minWidth: number;
  padding: number;
}

const width = (s: string): number => [...s].length;

export function tabwrite(text: string, opts: TabwriterOptions = { minWidth: 10, padding: 3 }): string {
  const raw = text.split('\n');
  const trailingNewline = raw.length > 0 && raw[raw.length - 1] === '';
  if (trailingNewline) raw.pop();
  const lines = raw.map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let s = '';
      cells.forEach((c, j) => {
        s += j < widths.length && j < cells.length - 1 ? c + ' '.repeat(Math.max(0, widths[j]! - width(c))) : c;
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number, column: number): void => {
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur]!.length - 1) continue;
      writeLines(line0, cur);
      line0 = cur;
      let w = opts.minWidth;
      for (; cur < line1; cur++) {
        const line = lines[cur]!;
        if (column >= line.length - 1) break;
        w = Math.max(w, width(line[column]!) + opts.padding);
      }
      widths.push(w);
      format(line0, cur, column + 1);
      widths.pop();
      line0 = cur;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length, 0);
  return out.join('\n') + (trailingNewline ? '\n' : '');
}
