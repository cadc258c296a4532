// Docker's container and exec endpoints over the ContainerService.
import { finished, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SkiffError } from '../../../base/index.js';
import { frameRecord, type ContainerService, type WaitCondition } from '../../../engine/index.js';
import { boolParam, filtersParam, intParam, olderThan, readJsonBody, sendJson, sendNoContent, type Handler } from '../http.js';
import { attachWebSocket } from '../attach-websocket.js';
import { escapeFilter, parseDetachKeys } from '../detach-keys.js';
import type { Route } from '../router.js';

const RAW = 'application/vnd.docker.raw-stream';
const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';

/**
 * Pipes a shim stream and a hijacked client connection together, half-closes included; the caller
 * ends the client. With `detachKeys` (a tty's stdin), the client's input is watched for them: once
 * typed, the attach ends (the container runs on) and the promise says so.
 */
function splice(client: Duplex, shim: Duplex, acceptInput: boolean, detachKeys?: readonly number[]): Promise<'ended' | 'detached'> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (how: 'ended' | 'detached' = 'ended'): void => {
      if (done) return;
      done = true;
      shim.destroy();
      resolve(how);
    };
    shim.on('data', (c: Buffer) => { if (!client.write(c)) { shim.pause(); client.once('drain', () => shim.resume()); } });
    shim.resume(); // a stream taken early is handed over paused
    // finished() also fires for a stream that ended before this was called: a process with no
    // output can exit (and its stream end) while the exec is still being started
    finished(shim, { writable: false }, () => finish());
    if (acceptInput) {
      const escape = detachKeys === undefined ? undefined : escapeFilter(detachKeys);
      client.on('data', (c: Buffer) => {
        let chunk = c;
        let detach = false;
        if (escape !== undefined) ({ forward: chunk, detach } = escape(c));
        if (chunk.length > 0 && !shim.write(chunk)) { client.pause(); shim.once('drain', () => client.resume()); }
        if (detach) finish('detached');
      });
      client.once('end', () => shim.end()); // stdin's EOF
    } else {
      client.on('data', () => {});
    }
    client.once('close', () => finish());
    client.once('error', () => finish());
  });
}

/** The create body's shape, with docker's wording (Go's json errors) and the field named. */
function validateCreateBody(body: Record<string, unknown>): void {
  const fail = (field: string, want: string, got: unknown): never => {
    const kind = Array.isArray(got) ? 'array' : got === null ? 'null' : typeof got;
    throw new SkiffError('InvalidArgument', `json: cannot unmarshal ${kind} into Go struct field ${field} of type ${want}`, { field });
  };
  const strList = (field: string, v: unknown, allowString: boolean): void => {
    if (v === undefined || v === null) return;
    if (allowString && typeof v === 'string') return;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(field, '[]string', v);
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('ContainerConfig', 'container.Config', body);
  if (body.Image !== undefined && typeof body.Image !== 'string') fail('Config.Image', 'string', body.Image);
  strList('Config.Cmd', body.Cmd, true);
  strList('Config.Entrypoint', body.Entrypoint, true);
  strList('Config.Env', body.Env, false);
  for (const k of ['Tty', 'OpenStdin', 'StdinOnce', 'AttachStdin', 'AttachStdout', 'AttachStderr']) {
    if (body[k] !== undefined && body[k] !== null && typeof body[k] !== 'boolean') fail(`Config.${k}`, 'bool', body[k]);
  }
  if (body.Labels !== undefined && body.Labels !== null && (typeof body.Labels !== 'object' || Array.isArray(body.Labels))) fail('Config.Labels', 'map[string]string', body.Labels);
  const hc = body.HostConfig;
  if (hc !== undefined && hc !== null) {
    if (typeof hc !== 'object' || Array.isArray(hc)) fail('HostConfig', 'container.HostConfig', hc);
    const h = hc as Record<string, unknown>;
    for (const k of ['Memory', 'MemorySwap', 'NanoCpus', 'CpuShares', 'CpuQuota', 'CpuPeriod', 'PidsLimit', 'ShmSize']) {
      if (h[k] !== undefined && h[k] !== null && (typeof h[k] !== 'number' || !Number.isInteger(h[k]))) fail(`HostConfig.${k}`, 'int64', h[k]);
    }
    strList('HostConfig.Binds', h.Binds, false);
    strList('HostConfig.CapAdd', h.CapAdd, false);
    strList('HostConfig.CapDrop', h.CapDrop, false);
    if (h.NetworkMode !== undefined && typeof h.NetworkMode !== 'string') fail('HostConfig.NetworkMode', 'container.NetworkMode', h.NetworkMode);
    strList('HostConfig.Dns', h.Dns, false);
    strList('HostConfig.DnsSearch', h.DnsSearch, false);
    strList('HostConfig.DnsOptions', h.DnsOptions, false);
    strList('HostConfig.ExtraHosts', h.ExtraHosts, false);
    strList('HostConfig.Links', h.Links, false);
  }
  const nc = body.NetworkingConfig;
  if (nc !== undefined && nc !== null) {
    if (typeof nc !== 'object' || Array.isArray(nc)) fail('NetworkingConfig', 'network.NetworkingConfig', nc);
    const eps = (nc as Record<string, unknown>).EndpointsConfig;
    if (eps !== undefined && eps !== null) {
      if (typeof eps !== 'object' || Array.isArray(eps)) fail('NetworkingConfig.EndpointsConfig', 'map[string]*network.EndpointSettings', eps);
      for (const [k, ep] of Object.entries(eps as Record<string, unknown>)) {
        if (ep === null) continue;
        if (typeof ep !== 'object' || Array.isArray(ep)) fail(`NetworkingConfig.EndpointsConfig.${k}`, 'network.EndpointSettings', ep);
        const e = ep as Record<string, unknown>;
        strList(`EndpointSettings.Aliases`, e.Aliases, false);
        strList(`EndpointSettings.Links`, e.Links, false);
        if (e.IPAMConfig !== undefined && e.IPAMConfig !== null && (typeof e.IPAMConfig !== 'object' || Array.isArray(e.IPAMConfig))) fail('EndpointSettings.IPAMConfig', 'network.EndpointIPAMConfig', e.IPAMConfig);
      }
    }
  }
  // Strings as Cmd/Entrypoint are docker's strslice: one element
  if (typeof body.Cmd === 'string') body.Cmd = [body.Cmd];
  if (typeof body.Entrypoint === 'string') body.Entrypoint = [body.Entrypoint];
}

/** An error after the hijack: docker writes it as text on the (stderr) stream. */
function frameError(err: unknown): Buffer {
  const text = Buffer.from(`${(err as Error).message}\n`);
  const header = Buffer.alloc(8);
  header[0] = 3; // stdcopy's system-error stream
  header.writeUInt32BE(text.length, 4);
  return Buffer.concat([header, text]);
}

function timeParamNs(v: string | null, field: string): bigint | undefined {
  if (v === null || v === '' || v === '0') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) {
    const [s, frac = ''] = v.split('.');
    return BigInt(s!) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
  }
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new SkiffError('InvalidArgument', `invalid value for ${field}: ${v}`, { field });
  return BigInt(t) * 1_000_000n;
}

export function containerRoutes(c: ContainerService): Route[] {
  const create: Handler = async (req, res) => {
    const body = await readJsonBody<Record<string, unknown> & { HostConfig?: Record<string, unknown>; NetworkingConfig?: unknown }>(req.raw, 'container config');
    validateCreateBody(body);
    const { HostConfig, NetworkingConfig, ...config } = body;
    const name = req.query.get('name') ?? undefined;
    const result = await c.create({
      ...(name === undefined ? {} : { name }), config: config as never,
      ...(HostConfig === undefined || HostConfig === null ? {} : { hostConfig: HostConfig as never }),
      ...(NetworkingConfig === undefined || NetworkingConfig === null ? {} : { networkingConfig: NetworkingConfig as never }),
    });
    sendJson(res, 201, result);
  };
  const list: Handler = async (req, res) => {
    const limit = intParam(req.query, 'limit', -1);
    const list = c.list({ all: boolParam(req.query, 'all'), ...(limit > 0 ? { limit } : {}), filters: filtersParam(req.query) });
    if (boolParam(req.query, 'size')) {
      const sizes = new Map((await c.df()).map((x) => [x.Id, x]));
      sendJson(res, 200, list.map((x) => ({ ...x, SizeRw: sizes.get(x.Id)?.SizeRw ?? 0, SizeRootFs: sizes.get(x.Id)?.SizeRootFs ?? 0 })));
      return;
    }
    sendJson(res, 200, list);
  };
  const inspect: Handler = async (req, res) => {
    const body = c.inspect(req.params[0]!) as { Id: string; Config: { Hostname?: string }; NetworkSettings?: { Networks?: Record<string, { Aliases: string[] | null }> } };
    if (olderThan(req.version, '1.45')) {
      // before API 1.45 docker listed the short id and the hostname among a user network's aliases
      for (const [name, ep] of Object.entries(body.NetworkSettings?.Networks ?? {})) {
        if (['bridge', 'host', 'none', 'default'].includes(name) || name.startsWith('container:')) continue;
        ep.Aliases = [...new Set([...(ep.Aliases ?? []), body.Id.slice(0, 12), body.Config.Hostname ?? ''])].filter((a) => a !== '');
      }
    }
    sendJson(res, 200, body);
  };
  const start: Handler = async (req, res) => { await c.start(req.params[0]!); sendNoContent(res); };
  const stop: Handler = async (req, res) => {
    const t = req.query.get('t');
    const signal = req.query.get('signal');
    await c.stop(req.params[0]!, { ...(t === null || t === '' ? {} : { timeoutS: Number(t) }), ...(signal === null || signal === '' ? {} : { signal }) });
    sendNoContent(res);
  };
  const restart: Handler = async (req, res) => {
    const t = req.query.get('t');
    await c.restart(req.params[0]!, t === null || t === '' ? {} : { timeoutS: Number(t) });
    sendNoContent(res);
  };
  const kill: Handler = async (req, res) => { await c.kill(req.params[0]!, req.query.get('signal') ?? undefined); sendNoContent(res); };
  const pause: Handler = async (req, res) => { await c.pause(req.params[0]!); sendNoContent(res); };
  const unpause: Handler = async (req, res) => { await c.unpause(req.params[0]!); sendNoContent(res); };
  const wait: Handler = async (req, res) => {
    const condition = (req.query.get('condition') ?? 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new SkiffError('InvalidArgument', `invalid condition: "${condition}"`, { field: 'condition' });
    const waiting = c.wait(req.params[0]!, condition, req.signal); // registered before the headers go out
    // docker flushes the headers at once, so a client can post /start after /wait returned headers
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    try {
      res.end(`${JSON.stringify(await waiting)}\n`);
    } catch (err) {
      res.end(`${JSON.stringify({ StatusCode: -1, Error: { Message: (err as Error).message } })}\n`);
    }
  };
  const remove: Handler = async (req, res) => {
    await c.remove(req.params[0]!, { force: boolParam(req.query, 'force'), volumes: boolParam(req.query, 'v') });
    sendNoContent(res);
  };
  const rename: Handler = async (req, res) => { c.rename(req.params[0]!, req.query.get('name') ?? ''); sendNoContent(res); };
  const prune: Handler = async (_req, res) => { sendJson(res, 200, await c.prune()); };
  const resize: Handler = async (req, res) => {
    await c.resize(req.params[0]!, intParam(req.query, 'h', 0), intParam(req.query, 'w', 0));
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end();
  };

  // moby's containerAttach: the live streams are taken first, then `logs` replays the json log
  // (what was written until then), then `stream` goes on with the live output and stdin; a tty's
  // stdin is watched for the detach keys.
  const attach: Handler = async (req, res) => {
    void res;
    const q = req.query;
    const want = { stdin: boolParam(q, 'stdin'), stdout: boolParam(q, 'stdout'), stderr: boolParam(q, 'stderr') };
    const keys = parseDetachKeys(q.get('detachKeys'));
    const target = c.attachTarget(req.params[0]!);
    const live = boolParam(q, 'stream') ? await c.attach(target.id, want) : undefined;
    live?.stream.pause();
    const tty = target.tty;
    const client = req.hijack(tty ? RAW : MULTIPLEXED);
    if (boolParam(q, 'logs') && (want.stdout || want.stderr)) {
      const gone = new AbortController();
      const onClose = (): void => gone.abort(new SkiffError('Cancelled', 'client went away'));
      client.once('close', onClose);
      try {
        const { records } = c.logs(target.id, { stdout: want.stdout, stderr: want.stderr, follow: false, signal: gone.signal });
        for await (const r of records) {
          const framed = frameRecord(r, false);
          if (!client.write(tty ? framed.subarray(8) : framed)) await new Promise((resolve) => client.once('drain', resolve));
        }
      } catch (err) {
        if (!gone.signal.aborted) client.write(`Error attaching: ${(err as Error).message}\n`);
      } finally {
        client.off('close', onClose);
      }
    }
    if (live === undefined) {
      client.end();
      return;
    }
    const stdin = want.stdin && target.openStdin;
    const how = await splice(client, live.stream, stdin, stdin && tty ? keys : undefined);
    if (how === 'detached') c.detached(target.id);
    client.end();
  };

  const logs: Handler = async (req, res) => {
    const q = req.query;
    const tailParam = q.get('tail');
    const tail = tailParam === null || tailParam === '' || tailParam === 'all' ? undefined : Number(tailParam);
    if (tail !== undefined && !Number.isInteger(tail)) throw new SkiffError('InvalidArgument', `invalid value for tail: ${tailParam}`, { field: 'tail' });
    const sinceNs = timeParamNs(q.get('since'), 'since');
    const untilNs = timeParamNs(q.get('until'), 'until');
    const { records, tty } = c.logs(req.params[0]!, {
      stdout: boolParam(q, 'stdout'), stderr: boolParam(q, 'stderr'), follow: boolParam(q, 'follow'),
      ...(tail === undefined || tail < 0 ? {} : { tail }), ...(sinceNs === undefined ? {} : { sinceNs }), ...(untilNs === undefined ? {} : { untilNs }),
      signal: req.signal,
    });
    const timestamps = boolParam(q, 'timestamps');
    res.writeHead(200, { 'Content-Type': tty ? RAW : MULTIPLEXED });
    res.flushHeaders();
    for await (const r of records) {
      const framed = frameRecord(r, timestamps);
      res.write(tty ? framed.subarray(8) : framed);
    }
    res.end();
  };

  const stats: Handler = async (req, res) => {
    const stream = req.query.get('stream') === null ? true : boolParam(req.query, 'stream');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    for await (const s of c.stats(req.params[0]!, { stream, oneShot: boolParam(req.query, 'one-shot'), signal: req.signal })) {
      res.write(`${JSON.stringify(s)}\n`);
    }
    res.end();
  };
  const top: Handler = async (req, res) => { sendJson(res, 200, await c.top(req.params[0]!, req.query.get('ps_args') ?? '-ef')); };

  const exportRoute: Handler = async (req, res) => {
    const stream = await c.export(req.params[0]!);
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await pipeline(stream, res).catch(() => res.destroy());
  };
  const changes: Handler = async (req, res) => {
    const list = await c.changes(req.params[0]!);
    sendJson(res, 200, list.length === 0 ? null : list);
  };
  const statHeader = (s: unknown): string => Buffer.from(JSON.stringify(s)).toString('base64');
  const archiveHead: Handler = async (req, res) => {
    const stat = await c.statPath(req.params[0]!, req.query.get('path') ?? '');
    res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Type': 'application/json' });
    res.end();
  };
  const archiveGet: Handler = async (req, res) => {
    const { stat, stream } = await c.archive(req.params[0]!, req.query.get('path') ?? '');
    res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Type': 'application/x-tar' });
    await pipeline(stream, res).catch(() => res.destroy());
  };
  const archivePut: Handler = async (req, res) => {
    await c.extract(req.params[0]!, req.query.get('path') ?? '', req.raw);
    res.writeHead(200);
    res.end();
  };
  const commit: Handler = async (req, res) => {
    const q = req.query;
    const body = await readJsonBody<Record<string, unknown>>(req.raw, 'container config');
    const repo = q.get('repo') ?? '';
    const tag = q.get('tag') ?? '';
    const id = await c.commit(q.get('container') ?? '', {
      ...(repo === '' ? {} : { reference: tag === '' ? repo : `${repo}:${tag}` }),
      comment: q.get('comment') ?? '', author: q.get('author') ?? '', changes: q.getAll('changes').filter((x) => x !== ''),
      pause: q.get('pause') === null ? true : boolParam(q, 'pause'),
      ...(Object.keys(body).length === 0 ? {} : { config: body }),
    });
    sendJson(res, 201, { Id: id });
  };

  const update: Handler = async (req, res) => {
    const body = await readJsonBody<Record<string, unknown>>(req.raw, 'update config');
    sendJson(res, 200, await c.update(req.params[0]!, body));
  };

  const execCreate: Handler = async (req, res) => {
    const body = await readJsonBody<Record<string, unknown>>(req.raw, 'exec config');
    if (typeof body.DetachKeys === 'string') parseDetachKeys(body.DetachKeys); // bad keys refused at create, as docker does
    sendJson(res, 201, { Id: c.createExec(req.params[0]!, body as never) });
  };
  const execStart: Handler = async (req, res) => {
    const body = await readJsonBody<{ Detach?: boolean; Tty?: boolean }>(req.raw, 'exec start config');
    if (body.Detach === true) {
      await c.startExec(req.params[0]!, { detach: true });
      sendJson(res, 200, {});
      return;
    }
    // Errors that can be told apart still get an HTTP reply; the hijack comes before the process
    // starts, as docker's does: a client that reads the upgrade response through a buffer (docker-py)
    // must not find the first output already in it.
    const info = c.inspectExec(req.params[0]!) as { Running: boolean; ExitCode: number | null; DetachKeys: string; ProcessConfig: { tty: boolean } };
    if (info.Running || info.ExitCode !== null) throw new SkiffError('Conflict', `Error: Exec command ${req.params[0]!} has already run`);
    const client = req.hijack(info.ProcessConfig.tty ? RAW : MULTIPLEXED);
    let started;
    try {
      started = await c.startExec(req.params[0]!, { detach: false });
    } catch (err) {
      client.end(frameError(err));
      return;
    }
    const { stream, stdin, exited } = started;
    if (stream === undefined) {
      client.end();
      return;
    }
    // The shim ends the stream after the process exits and its output is drained; should that end
    // never come, the exit (plus a grace period for the last output) ends it.
    const keys = stdin && info.ProcessConfig.tty ? parseDetachKeys(info.DetachKeys) : undefined;
    const how = await Promise.race([splice(client, stream, stdin, keys), exited.then(() => new Promise<'ended'>((r) => setTimeout(() => r('ended'), 2000).unref()))]);
    stream.destroy();
    // the client asks for the exit code as soon as the stream ends; after a detach the process runs on
    if (how !== 'detached') await exited;
    client.end();
  };
  const execInspect: Handler = async (req, res) => { sendJson(res, 200, c.inspectExec(req.params[0]!)); };
  const execResize: Handler = async (req, res) => {
    await c.resizeExec(req.params[0]!, intParam(req.query, 'h', 0), intParam(req.query, 'w', 0));
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end();
  };

  const id = '([^/]+)';
  return [
    { method: 'POST', path: /^\/containers\/create$/, handler: create },
    { method: 'GET', path: /^\/containers\/json$/, handler: list },
    { method: 'POST', path: /^\/containers\/prune$/, handler: prune },
    { method: 'GET', path: new RegExp(`^/containers/${id}/json$`), handler: inspect },
    { method: 'POST', path: new RegExp(`^/containers/${id}/start$`), handler: start },
    { method: 'POST', path: new RegExp(`^/containers/${id}/stop$`), handler: stop },
    { method: 'POST', path: new RegExp(`^/containers/${id}/restart$`), handler: restart },
    { method: 'POST', path: new RegExp(`^/containers/${id}/kill$`), handler: kill },
    { method: 'POST', path: new RegExp(`^/containers/${id}/pause$`), handler: pause },
    { method: 'POST', path: new RegExp(`^/containers/${id}/unpause$`), handler: unpause },
    { method: 'POST', path: new RegExp(`^/containers/${id}/wait$`), handler: wait },
    { method: 'POST', path: new RegExp(`^/containers/${id}/attach$`), handler: attach },
    { method: 'GET', path: new RegExp(`^/containers/${id}/attach/ws$`), handler: (req, res) => attachWebSocket(c, req, res) },
    { method: 'GET', path: new RegExp(`^/containers/${id}/logs$`), handler: logs },
    { method: 'POST', path: new RegExp(`^/containers/${id}/resize$`), handler: resize },
    { method: 'GET', path: new RegExp(`^/containers/${id}/stats$`), handler: stats },
    { method: 'GET', path: new RegExp(`^/containers/${id}/top$`), handler: top },
    { method: 'GET', path: new RegExp(`^/containers/${id}/export$`), handler: exportRoute },
    { method: 'GET', path: new RegExp(`^/containers/${id}/changes$`), handler: changes },
    { method: 'HEAD', path: new RegExp(`^/containers/${id}/archive$`), handler: archiveHead },
    { method: 'GET', path: new RegExp(`^/containers/${id}/archive$`), handler: archiveGet },
    { method: 'PUT', path: new RegExp(`^/containers/${id}/archive$`), handler: archivePut },
    { method: 'POST', path: /^\/commit$/, handler: commit },
    { method: 'POST', path: new RegExp(`^/containers/${id}/rename$`), handler: rename },
    { method: 'POST', path: new RegExp(`^/containers/${id}/update$`), handler: update },
    { method: 'POST', path: new RegExp(`^/containers/${id}/exec$`), handler: execCreate },
    { method: 'DELETE', path: new RegExp(`^/containers/${id}$`), handler: remove },
    { method: 'POST', path: new RegExp(`^/exec/${id}/start$`), handler: execStart },
    { method: 'POST', path: new RegExp(`^/exec/${id}/resize$`), handler: execResize },
    { method: 'GET', path: new RegExp(`^/exec/${id}/json$`), handler: execInspect },
  ];
}
