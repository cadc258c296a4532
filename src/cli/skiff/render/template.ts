// A subset of Go's text/template as docker's `--format` uses it: `{{.Field}}`, `{{.A.B}}`, `$`,
// pipelines `{{.X | json}}`, docker's functions (json, join, split, lower, upper, title, pad,
// truncate, println) and Go's builtins (index, len, printf %s/%d/%v, eq, ne, not, and, or),
// `{{if}}…{{else}}…{{end}}`, `{{range}}…{{end}}`, and `{{-`/`-}}` trimming. Pure.

import { formatG } from './units.js';

export class TemplateError extends Error {
  readonly isTemplateError = true;
  /** The field text (`.A.B`) an execution error is about, until the column is filled in. */
  fieldText: string | undefined;
  /** 'parse' for syntax errors, 'exec' for errors while executing. */
  readonly phase: 'parse' | 'exec';

  constructor(phase: 'parse' | 'exec', message: string) {
    super(message);
    this.name = 'TemplateError';
    this.phase = phase;
  }
}

/** A JSON null seen through a Go field: prints as `[]` (slice) or `map[]` (map), marshals as null. */
export class GoNil {
  constructor(readonly isMap: boolean) {}
}

type Arg =
  | { kind: 'field'; root: 'dot' | 'root'; path: string[] }
  | { kind: 'lit'; value: unknown }
  | { kind: 'ident'; name: string }
  | { kind: 'pipe'; pipe: Pipe };
type Cmd = Arg[];
type Pipe = Cmd[];
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe; pos: number; src: string }
  | { kind: 'if'; pipe: Pipe; then: Node[]; else: Node[] }
  | { kind: 'range'; pipe: Pipe; body: Node[]; else: Node[] };

export interface ExecuteOptions {
  /** What a missing key does: docker inspect errors ("map has no entry"), list contexts error, headers print ''. */
  missingKey?: 'error' | 'zero' | 'default';
}

const MAP_KEYS = new Set(['Labels', 'Volumes', 'ExposedPorts', 'Options', 'DriverOpts', 'Data', 'Details']);

// ------------------------------------------------------------------------------------------------
// Lexing and parsing

interface Segment {
  kind: 'text' | 'action';
  text: string;
  /** Offset of the (trimmed) action body in the source: Go reports errors at its column. */
  pos: number;
}

function segments(src: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ kind: 'text', text: src.slice(i), pos: i });
      break;
    }
    out.push({ kind: 'text', text: src.slice(i, open), pos: i });
    let j = open + 2;
    let quote: string | undefined;
    for (; j < src.length; j++) {
      const c = src[j]!;
      if (quote !== undefined) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === '`') quote = c;
      else if (c === '}' && src[j + 1] === '}') break;
    }
    if (j >= src.length) throw new TemplateError('parse', `template: :1: unclosed action`);
    let body = src.slice(open + 2, j);
    const trimLeft = /^-\s/.test(body) || body === '-';
    const trimRight = /\s-$/.test(body);
    if (trimLeft) {
      body = body.slice(1);
      const prev = out[out.length - 1];
      if (prev?.kind === 'text') prev.text = prev.text.replace(/\s+$/, '');
    }
    if (trimRight) body = body.slice(0, -1);
    const lead = /^\s*/.exec(body)?.[0].length ?? 0;
    out.push({ kind: 'action', text: body.trim(), pos: open + 2 + (trimLeft ? 1 : 0) + lead });
    i = j + 2;
    if (trimRight) {
      const m = /^\s*/.exec(src.slice(i));
      i += m?.[0].length ?? 0;
    }
  }
  return out.filter((s) => s.kind === 'action' || s.text !== '');
}

function tokenize(src: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === '|') {
      tokens.push(c);
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      tokens.push(src.slice(i, j + 1));
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('parse', 'template: :1: unterminated raw quoted string');
      tokens.push(src.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < src.length && !/[\s()|]/.test(src[j]!)) j++;
      tokens.push(src.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

function parsePipe(tokens: string[], at: { i: number }, untilParen: boolean): Pipe {
  const pipe: Pipe = [];
  let cmd: Cmd = [];
  while (at.i < tokens.length) {
    const t = tokens[at.i++]!;
    if (t === ')') {
      if (!untilParen) throw new TemplateError('parse', `template: :1: unexpected ")" in command`);
      break;
    }
    if (t === '|') {
      if (cmd.length === 0) throw new TemplateError('parse', 'template: :1: missing command');
      pipe.push(cmd);
      cmd = [];
      continue;
    }
    cmd.push(parseArg(t, tokens, at));
  }
  if (cmd.length > 0) pipe.push(cmd);
  if (pipe.length === 0) throw new TemplateError('parse', 'template: :1: missing value for command');
  return pipe;
}

function parseArg(t: string, tokens: string[], at: { i: number }): Arg {
  if (t === '(') return { kind: 'pipe', pipe: parsePipe(tokens, at, true) };
  if (t.startsWith('"')) return { kind: 'lit', value: JSON.parse(t) as string };
  if (t.startsWith('`')) return { kind: 'lit', value: t.slice(1, -1) };
  if (t === 'true' || t === 'false') return { kind: 'lit', value: t === 'true' };
  if (t === 'nil') return { kind: 'lit', value: null };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { kind: 'lit', value: Number(t) };
  if (t === '.') return { kind: 'field', root: 'dot', path: [] };
  if (t.startsWith('.')) return { kind: 'field', root: 'dot', path: t.slice(1).split('.') };
  if (t === '$') return { kind: 'field', root: 'root', path: [] };
  if (t.startsWith('$.')) return { kind: 'field', root: 'root', path: t.slice(2).split('.') };
  if (/^[A-Za-z_]\w*$/.test(t)) return { kind: 'ident', name: t };
  throw new TemplateError('parse', `template: :1: unexpected "${t}" in command`);
}

function pipeOf(text: string): Pipe {
  return parsePipe(tokenize(text), { i: 0 }, false);
}

export interface Template {
  nodes: Node[];
  source: string;
}

/**
 * A `--format` value as the docker CLI takes it: none (undefined, "" or "json", the JSON output)
 * or a template, whose parse error reads "template parsing error: …".
 */
export function parseFormat(format: string | undefined): Template | undefined {
  if (format === undefined || format === '' || format === 'json') return undefined;
  try {
    return parseTemplate(format);
  } catch (err) {
    if (err instanceof TemplateError) throw new Error(`template parsing error: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Parses a template; throws TemplateError('parse') with Go's wording where it matters. */
export function parseTemplate(source: string): Template {
  const segs = segments(source);
  let k = 0;
  function parseList(stopAt: Set<string>): { nodes: Node[]; stop: string | undefined } {
    const nodes: Node[] = [];
    while (k < segs.length) {
      const s = segs[k++]!;
      if (s.kind === 'text') {
        nodes.push({ kind: 'text', text: s.text });
        continue;
      }
      const word = s.text.split(/\s+/)[0] ?? '';
      if (s.text.startsWith('/*')) continue;
      if (stopAt.has(word)) return { nodes, stop: s.text };
      if (word === 'end' || word === 'else') throw new TemplateError('parse', `template: :1: unexpected {{${word}}}`);
      if (word === 'if' || word === 'range') {
        nodes.push(parseControl(word, s.text.slice(word.length)));
        continue;
      }
      nodes.push({ kind: 'action', pipe: pipeOf(s.text), pos: s.pos, src: s.text });
    }
    return { nodes, stop: undefined };
  }
  function parseControl(word: 'if' | 'range', pipeText: string): Node {
    const pipe = pipeOf(pipeText);
    const body = parseList(new Set(['else', 'end']));
    if (body.stop === undefined) throw new TemplateError('parse', 'template: :1: unexpected EOF');
    let elseNodes: Node[] = [];
    if (body.stop.startsWith('else')) {
      const rest = body.stop.slice(4).trim();
      if (rest.startsWith('if ')) {
        elseNodes = [parseControl('if', rest.slice(3))]; // `else if` shares the outer {{end}}
      } else {
        const e = parseList(new Set(['end']));
        if (e.stop === undefined) throw new TemplateError('parse', 'template: :1: unexpected EOF');
        elseNodes = e.nodes;
      }
    }
    return word === 'if' ? { kind: 'if', pipe, then: body.nodes, else: elseNodes } : { kind: 'range', pipe, body: body.nodes, else: elseNodes };
  }
  const { nodes } = parseList(new Set());
  return { nodes, source };
}

// ------------------------------------------------------------------------------------------------
// Execution

function isTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v instanceof GoNil) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** Go's `%v` of a JSON-ish value. */
export function printValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (v instanceof GoNil) return v.isMap ? 'map[]' : '[]';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatG(v, 17).replace(/(\.\d*?)0+(e|$)/, '$1$2');
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(printValue).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${printValue(o[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's json.Marshal: HTML-safe escapes, null for GoNil. */
export function goJson(v: unknown): string {
  const text = JSON.stringify(v, (_k, value: unknown) => (value instanceof GoNil ? null : value)) ?? 'null';
  return text.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * Marks a list row (docker's formatter contexts): those have a MarshalJSON that uses json.Marshal,
 * so `{{json .}}` of a row is HTML-escaped even though the template's encoder is not.
 */
export const MARSHALS_JSON: unique symbol = Symbol('skiff.marshalsJson');

/** docker's template `json`: an encoder with SetEscapeHTML(false), so `<`, `>`, `&` stay as they are. */
export function templateJson(v: unknown): string {
  if (typeof v === 'object' && v !== null && (v as { [MARSHALS_JSON]?: boolean })[MARSHALS_JSON] === true) return goJson(v);
  const text = JSON.stringify(v, (_k, value: unknown) => (value instanceof GoNil ? null : value)) ?? 'null';
  return text.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function goPrintf(format: string, args: unknown[]): string {
  let n = 0;
  return format.replace(/%([-+ 0#]*)(\d*|\*)(?:\.(\d+))?([svdqtfg%])/g, (_m, flags: string, w: string, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    let widthN = 0;
    if (w === '*') widthN = Number(args[n++]);
    else if (w !== '') widthN = Number(w);
    const a = args[n++];
    let s: string;
    if (verb === 'q') s = JSON.stringify(printValue(a));
    else if (verb === 'f') s = Number(a).toFixed(prec === undefined ? 6 : Number(prec));
    else s = printValue(a);
    if (prec !== undefined && verb === 's') s = s.slice(0, Number(prec));
    if (s.length < widthN) s = flags.includes('-') ? s.padEnd(widthN) : s.padStart(widthN, flags.includes('0') ? '0' : ' ');
    return s;
  });
}

function titleCase(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  json: (v) => templateJson(v),
  join: (v, sep) => (Array.isArray(v) ? v.map(printValue).join(String(sep)) : v instanceof GoNil ? '' : printValue(v)),
  split: (s, sep) => String(s).split(String(sep)),
  lower: (s) => printValue(s).toLowerCase(),
  upper: (s) => printValue(s).toUpperCase(),
  title: (s) => titleCase(printValue(s)),
  pad: (s, l, r) => `${' '.repeat(Number(l))}${printValue(s)}${' '.repeat(Number(r))}`,
  truncate: (s, n) => {
    const chars = [...printValue(s)];
    return chars.length > Number(n) ? chars.slice(0, Number(n)).join('') : chars.join('');
  },
  println: (...a) => `${a.map(printValue).join(' ')}\n`,
  print: (...a) => a.map(printValue).join(''),
  printf: (f, ...a) => goPrintf(String(f), a),
  len: (v) => (Array.isArray(v) ? v.length : typeof v === 'string' ? v.length : v instanceof GoNil ? 0 : typeof v === 'object' && v !== null ? Object.keys(v).length : 0),
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (cur === null || cur === undefined || cur instanceof GoNil) return undefined;
      cur = (cur as Record<string, unknown>)[String(k)];
    }
    return cur;
  },
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => (a as number) < (b as number),
  le: (a, b) => (a as number) <= (b as number),
  gt: (a, b) => (a as number) > (b as number),
  ge: (a, b) => (a as number) >= (b as number),
  not: (a) => !isTruthy(a),
  and: (...a) => a.find((x) => !isTruthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => isTruthy(x)) ?? a[a.length - 1],
};

interface Scope {
  dot: unknown;
  root: unknown;
  opts: ExecuteOptions;
  src: string;
}

function fieldError(path: string[], detail: string): TemplateError {
  const err = new TemplateError('exec', `template: :1:{COL}: executing "" at <.${path.join('.')}>: ${detail}`);
  err.fieldText = `.${path.join('.')}`;
  return err;
}

function evalField(base: unknown, path: string[], scope: Scope): unknown {
  let cur = base;
  for (const key of path) {
    if (cur === null || cur === undefined || cur instanceof GoNil) {
      throw fieldError(path, `nil pointer evaluating interface {}.${key}`);
    }
    if (typeof cur !== 'object' || Array.isArray(cur)) {
      throw fieldError(path, `can't evaluate field ${key} in type ${Array.isArray(cur) ? '[]interface {}' : typeof cur}`);
    }
    const o = cur as Record<string, unknown>;
    if (!(key in o)) {
      if (scope.opts.missingKey === 'zero') return '';
      if (scope.opts.missingKey === 'default') return '<no value>'; // Go's missingkey=default on a map
      throw fieldError(path, `map has no entry for key "${key}"`);
    }
    cur = o[key];
    if (cur === null) cur = new GoNil(MAP_KEYS.has(key));
  }
  return cur;
}

function evalArg(arg: Arg, scope: Scope): unknown {
  switch (arg.kind) {
    case 'lit':
      return arg.value;
    case 'field':
      return evalField(arg.root === 'dot' ? scope.dot : scope.root, arg.path, scope);
    case 'pipe':
      return evalPipe(arg.pipe, scope);
    case 'ident': {
      const f = FUNCTIONS[arg.name];
      if (f === undefined) throw new TemplateError('parse', `template: :1: function "${arg.name}" not defined`);
      return f();
    }
  }
}

function evalPipe(pipe: Pipe, scope: Scope): unknown {
  let value: unknown;
  pipe.forEach((cmd, idx) => {
    const [head, ...rest] = cmd;
    const piped = idx > 0 ? [value] : [];
    if (head?.kind === 'ident') {
      const f = FUNCTIONS[head.name];
      if (f === undefined) throw new TemplateError('parse', `template: :1: function "${head.name}" not defined`);
      value = f(...rest.map((a) => evalArg(a, scope)), ...piped);
    } else {
      if (rest.length > 0 || piped.length > 0) throw new TemplateError('exec', `template: :1: can't give argument to non-function`);
      value = evalArg(head!, scope);
    }
  });
  return value;
}

function execNodes(nodes: Node[], scope: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.kind) {
      case 'text':
        out.push(n.text);
        break;
      case 'action':
        try {
          out.push(printValue(evalPipe(n.pipe, scope)));
        } catch (err) {
          if (err instanceof TemplateError && err.message.includes('{COL}')) {
            const at = err.fieldText === undefined ? -1 : n.src.indexOf(err.fieldText);
            err.message = err.message.replace('{COL}', String(n.pos + Math.max(0, at)));
          }
          throw err;
        }
        break;
      case 'if':
        execNodes(isTruthy(evalPipe(n.pipe, scope)) ? n.then : n.else, scope, out);
        break;
      case 'range': {
        const v = evalPipe(n.pipe, scope);
        const items = Array.isArray(v) ? v : v !== null && typeof v === 'object' && !(v instanceof GoNil) ? Object.keys(v).sort().map((k) => (v as Record<string, unknown>)[k]) : [];
        if (items.length === 0) execNodes(n.else, scope, out);
        for (const item of items) execNodes(n.body, { ...scope, dot: item }, out);
        break;
      }
    }
  }
}

/** Executes a parsed template against `data` (the dot and `$`). */
export function executeTemplate(tpl: Template, data: unknown, opts: ExecuteOptions = {}): string {
  const out: string[] = [];
  execNodes(tpl.nodes, { dot: data, root: data, opts, src: tpl.source }, out);
  return out.join('');
}

/** Parses and executes in one go. */
export function renderTemplate(source: string, data: unknown, opts: ExecuteOptions = {}): string {
  return executeTemplate(parseTemplate(source), data, opts);
}
