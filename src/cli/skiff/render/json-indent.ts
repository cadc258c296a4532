// docker inspect's output: the daemon's JSON objects in an array, indented with four spaces by
// Go's json.Indent, so string escapes stay exactly as the daemon wrote them; HTML characters are
// escaped like Go's encoder does.

/** Re-indents JSON text without re-encoding its strings (Go's json.Indent with prefix "" and indent "    "). */
export function indentJson(text: string, indent = '    '): string {
  let out = '';
  let depth = 0;
  let inString = false;
  let needIndent = false;
  const nl = (): string => `\n${indent.repeat(depth)}`;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c === '<' ? '\\u003c' : c === '>' ? '\\u003e' : c === '&' ? '\\u0026' : c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      depth++;
      out += nl();
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        needIndent = true;
        break;
      case ',':
        out += c + nl();
        break;
      case ':':
        out += ': ';
        break;
      case '}':
      case ']':
        if (needIndent) {
          needIndent = false; // empty {} or []
        } else {
          depth--;
          out += nl();
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** The text docker inspect prints for raw elements: `[]` when there are none. */
export function inspectArray(raws: readonly string[]): string {
  if (raws.length === 0) return '[]\n';
  return `${indentJson(`[${raws.map((r) => r.trim()).join(',')}]`)}\n`;
}
