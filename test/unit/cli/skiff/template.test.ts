import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate, TemplateError } from '../../../../src/cli/skiff/render/template.js';
import { renderList } from '../../../../src/cli/skiff/render/list-format.js';
import { tabwrite } from '../../../../src/cli/skiff/render/tabwriter.js';
import { indentJson, inspectArray } from '../../../../src/cli/skiff/render/json-indent.js';

const DATA = {
  Id: 'sha256:abc',
  RepoTags: ['bb:1', 'bb:2'],
  Config: { Cmd: ['/bin/sh', '-c'], Env: null, Labels: null, User: '' },
  Size: 1982263,
  Html: '<a&b>',
};

test('fields, nested fields, slices, nulls', () => {
  assert.equal(renderTemplate('{{.Id}} {{.Size}}', DATA), 'sha256:abc 1982263');
  assert.equal(renderTemplate('{{.Config.Cmd}}|{{.Config.Env}}|{{.Config.Labels}}', DATA), '[/bin/sh -c]|[]|map[]');
  assert.equal(renderTemplate('{{.}}', 'x'), 'x');
});

test('json, join, upper, index, len, printf, pipelines', () => {
  assert.equal(renderTemplate('{{json .RepoTags}}', DATA), '["bb:1","bb:2"]');
  assert.equal(renderTemplate('{{json .Config.Env}}', DATA), 'null');
  // docker's template json encodes with SetEscapeHTML(false): <, > and & stay as they are (checked against docker 28)
  assert.equal(renderTemplate('{{json .Html}}', DATA), '"<a&b>"');
  assert.equal(renderTemplate('{{join .RepoTags ", "}}', DATA), 'bb:1, bb:2');
  assert.equal(renderTemplate('{{.Id | upper}}', DATA), 'SHA256:ABC');
  assert.equal(renderTemplate('{{index .RepoTags 1}} {{len .RepoTags}}', DATA), 'bb:2 2');
  assert.equal(renderTemplate('{{printf "%s-%d" .Id .Size}}', DATA), 'sha256:abc-1982263');
  assert.equal(renderTemplate('{{lower (index .RepoTags 0)}}', DATA), 'bb:1');
});

test('if/else, range, trim markers', () => {
  assert.equal(renderTemplate('{{if .Config.User}}u{{else}}root{{end}}', DATA), 'root');
  assert.equal(renderTemplate('{{if .Config.Env}}a{{else if .RepoTags}}b{{else}}c{{end}}', DATA), 'b');
  assert.equal(renderTemplate('{{range .RepoTags}}[{{.}}]{{end}}', DATA), '[bb:1][bb:2]');
  assert.equal(renderTemplate('{{range .Config.Env}}x{{else}}none{{end}}', DATA), 'none');
  assert.equal(renderTemplate('a  {{- .Id -}}  b', DATA), 'asha256:abcb');
  assert.equal(renderTemplate('{{$.Id}}{{range .RepoTags}} {{$.Size}}{{end}}', DATA), 'sha256:abc 1982263 1982263');
});

test('missing keys: an error with Go\'s column, or empty for headers', () => {
  assert.throws(() => renderTemplate('{{.Id}} {{.Nope}}', DATA, { missingKey: 'error' }), (e: unknown) =>
    e instanceof TemplateError && e.message === 'template: :1:10: executing "" at <.Nope>: map has no entry for key "Nope"');
  assert.equal(renderTemplate('{{.Nope}}', DATA, { missingKey: 'zero' }), '');
  assert.throws(() => renderTemplate('{{nosuchfn .Id}}', DATA), /function "nosuchfn" not defined/);
  assert.throws(() => renderTemplate('{{.Id', DATA), TemplateError);
  assert.throws(() => renderTemplate('{{if .Id}}x', DATA), /unexpected EOF/);
});

test('tabwriter: minwidth 10, padding 3, last cell not aligned', () => {
  assert.equal(tabwrite('REPOSITORY\tTAG\tIMAGE ID\nbb\t1\te0d322be0c05\n'), 'REPOSITORY   TAG       IMAGE ID\nbb           1         e0d322be0c05\n');
  // an empty table still gets its header, with widths from the header alone
  assert.equal(tabwrite('REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n'), 'REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n');
  // a line without tabs ends the column block
  assert.equal(tabwrite('a\tb\nlonger-than-ten\tc\nplain\nx\ty\n', { minWidth: 2, padding: 1 }), 'a               b\nlonger-than-ten c\nplain\nx y\n');
});

test('list formats: table header from the field names, custom formats without header, json', () => {
  const rows = [{ Repository: 'bb', Tag: '1', ID: 'abc' }];
  const headers = { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID' };
  assert.equal(renderList('table {{.Repository}}\\t{{.ID}}', rows, headers), 'REPOSITORY   IMAGE ID\nbb           abc\n');
  assert.equal(renderList('{{.Repository}}:{{.Tag}}', rows, headers), 'bb:1\n');
  assert.equal(renderList('json', rows, headers), '{"Repository":"bb","Tag":"1","ID":"abc"}\n');
  assert.equal(renderList('table', [], {}), '\n');
});

test('inspect output: Go json.Indent with four spaces, strings kept as sent', () => {
  const raw = '{"Id":"x","Tags":["a"],"Empty":[],"Obj":{},"Esc":"\\u003c\\"q\\"","N":null}';
  assert.equal(indentJson(raw), '{\n    "Id": "x",\n    "Tags": [\n        "a"\n    ],\n    "Empty": [],\n    "Obj": {},\n    "Esc": "\\u003c\\"q\\"",\n    "N": null\n}');
  assert.equal(inspectArray([]), '[]\n');
  assert.equal(inspectArray(['{"a":1}\n', '{"b":2}']), '[\n    {\n        "a": 1\n    },\n    {\n        "b": 2\n    }\n]\n');
  assert.equal(indentJson('{"h":"<&>"}'), '{\n    "h": "\\u003c\\u0026\\u003e"\n}');
});
