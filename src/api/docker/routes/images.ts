// Docker's image endpoints over the ImageService: parse → call → serialise.
import { SkiffError } from '../../../base/index.js';
import type { ImageProgressEvent, ImageService } from '../../../image/index.js';
import { decodeRegistryAuth } from '../../../registry/index.js';
import { boolParam, filtersParam, olderThan, readJsonBody, sendJson, streamJsonMessages, type Handler } from '../http.js';
import { toJsonMessage } from '../progress.js';
import type { Route } from '../router.js';

/**
 * docker's ContainerConfig of an image that no classic-builder container made (imports, pulls of
 * BuildKit images): a container.Config of zero values, never null (docker-compose 1.29 reads
 * `ContainerConfig.Volumes` when it recreates a container).
 */
const EMPTY_CONTAINER_CONFIG = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false,
  StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
} as const;

export function imageRoutes(images: ImageService): Route[] {
  const create: Handler = async (req, res) => {
    const q = req.query;
    const fromImage = q.get('fromImage') ?? '';
    const fromSrc = q.get('fromSrc') ?? '';
    if (fromImage === '' && fromSrc === '') throw new SkiffError('InvalidArgument', 'fromImage or fromSrc is required', { field: 'fromImage' });
    const platform = q.get('platform') ?? '';
    await streamJsonMessages(res, async (write) => {
      const onProgress = (e: ImageProgressEvent): void => write(toJsonMessage(e));
      if (fromImage !== '') {
        const tag = q.get('tag') ?? '';
        let ref = fromImage;
        if (tag !== '') ref = tag.startsWith('sha256:') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
        const auth = decodeRegistryAuth(req.raw.headers['x-registry-auth'] as string | undefined);
        await images.pull(ref, { platform, auth, onProgress, signal: req.signal });
        return;
      }
      if (fromSrc !== '-') throw new SkiffError('NotImplemented', 'import from a URL is not supported: use fromSrc=- and send the archive', { field: 'fromSrc' });
      const repo = q.get('repo') ?? '';
      const tag = q.get('tag') ?? '';
      const id = await images.import(req.raw, {
        ...(repo === '' ? {} : { reference: tag === '' ? repo : `${repo}:${tag}` }),
        changes: q.getAll('changes'),
        message: q.get('message') ?? '',
        platform,
        onProgress,
        signal: req.signal,
      });
      write({ status: id });
    });
  };

  const list: Handler = async (req, res) => {
    const filters = filtersParam(req.query);
    const filter = req.query.get('filter');
    if (filter !== null && filter !== '') (filters.reference ??= []).push(filter);
    const list = await images.list({ all: boolParam(req.query, 'all'), filters });
    const old = olderThan(req.version, '1.44');
    sendJson(res, 200, list.map((s) => (old ? { ...s, VirtualSize: s.Size } : s)));
  };

  const inspect: Handler = async (req, res) => {
    const img = await images.inspect(req.params[0]!);
    const body: Record<string, unknown> = { ...img };
    if (olderThan(req.version, '1.44')) body.VirtualSize = img.Size;
    if (olderThan(req.version, '1.45')) {
      body.Container = '';
      body.ContainerConfig = { ...EMPTY_CONTAINER_CONFIG };
    }
    sendJson(res, 200, body);
  };

  const push: Handler = async (req, res) => {
    const name = req.params[0]!;
    const tag = req.query.get('tag') ?? '';
    const auth = decodeRegistryAuth(req.raw.headers['x-registry-auth'] as string | undefined);
    await streamJsonMessages(res, async (write) => {
      await images.push(tag === '' ? name : `${name}:${tag}`, { auth, onProgress: (e) => write(toJsonMessage(e)), signal: req.signal });
    });
  };

  const tag: Handler = async (req, res) => {
    const repo = req.query.get('repo') ?? '';
    if (repo === '') throw new SkiffError('InvalidArgument', 'repository name (repo) is required', { field: 'repo' });
    const t = req.query.get('tag') ?? '';
    await images.tag(req.params[0]!, t === '' ? repo : `${repo}:${t}`);
    res.writeHead(201);
    res.end();
  };

  const remove: Handler = async (req, res) => {
    sendJson(res, 200, await images.remove(req.params[0]!, { force: boolParam(req.query, 'force'), noPrune: boolParam(req.query, 'noprune') }));
  };

  const prune: Handler = async (req, res) => {
    const r = await images.prune({ filters: filtersParam(req.query) });
    sendJson(res, 200, { ImagesDeleted: r.ImagesDeleted.length === 0 ? null : r.ImagesDeleted, SpaceReclaimed: r.SpaceReclaimed });
  };

  const save = (names: (req: Parameters<Handler>[0]) => string[]): Handler => async (req, res) => {
    const stream = await images.save(names(req), req.signal);
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    stream.pipe(res);
    await new Promise<void>((resolve) => {
      stream.once('error', () => { res.destroy(); resolve(); });
      res.once('close', () => { stream.destroy(); resolve(); });
    });
  };

  const load: Handler = async (req, res) => {
    const quiet = boolParam(req.query, 'quiet');
    await streamJsonMessages(res, async (write) => {
      const result = await images.load(req.raw, { quiet, signal: req.signal, ...(quiet ? {} : { onProgress: (e) => write(toJsonMessage(e)) }) });
      for (const m of result.messages) write({ stream: `${m}\n` });
    });
  };

  const history: Handler = async (req, res) => {
    sendJson(res, 200, await images.history(req.params[0]!));
  };

  const auth: Handler = async (req, res) => {
    const body = await readJsonBody<Record<string, string>>(req.raw, 'auth config');
    sendJson(res, 200, await images.login(body));
  };

  return [
    { method: 'POST', path: /^\/images\/create$/, handler: create },
    { method: 'GET', path: /^\/images\/json$/, handler: list },
    { method: 'POST', path: /^\/images\/load$/, handler: load },
    { method: 'GET', path: /^\/images\/get$/, handler: save((req) => req.query.getAll('names')) },
    { method: 'POST', path: /^\/images\/prune$/, handler: prune },
    { method: 'GET', path: /^\/images\/(.+)\/json$/, handler: inspect },
    { method: 'GET', path: /^\/images\/(.+)\/history$/, handler: history },
    { method: 'GET', path: /^\/images\/(.+)\/get$/, handler: save((req) => [req.params[0]!]) },
    { method: 'POST', path: /^\/images\/(.+)\/push$/, handler: push },
    { method: 'POST', path: /^\/images\/(.+)\/tag$/, handler: tag },
    { method: 'DELETE', path: /^\/images\/(.+)$/, handler: remove },
    { method: 'POST', path: /^\/auth$/, handler: auth },
  ];
}
