// Test helpers for the registry integration tests: a real Debian docker-registry on 127.0.0.1 (free
// port, temp storage, stopped by pid in t.after), an optional token server it trusts, and small
// images built in the test (tar-stream layers, gzip'd; image config; manifest) in a content store.
import { spawn, execFileSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import * as http from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { createHash, createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { TestContext } from 'node:test';
import tar from 'tar-stream';
import { LocalContentStore, writeBlob } from '../../../src/content/index.js';
import { MediaType, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from '../../../src/oci/index.js';
import { sha256Digest, type Digest } from '../../../src/base/index.js';
import { killPid } from '../../helpers/cleanup.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function tempStore(t: TestContext): Promise<LocalContentStore> {
  return new LocalContentStore({ root: join(await tempDir(t, 'skiff-content-'), 'content') }).init();
}

export interface TokenAuth {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
}

export interface RunningRegistry {
  host: string;
  port: number;
  storage: string;
}

function probe(port: number, tls: boolean): Promise<boolean> {
  if (!tls) return fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status < 500, () => false);
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Starts docker-registry on a free 127.0.0.1 port; resolves once it logs that it listens. */
export interface RegistryTls {
  certPath: string;
  keyPath: string;
}

/** A self-signed certificate for 127.0.0.1 (and localhost), for an HTTPS registry. */
export async function makeTlsCert(t: TestContext): Promise<RegistryTls & { pem: string }> {
  const dir = await tempDir(t, 'skiff-tls-');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { certPath, keyPath, pem: await readFile(certPath, 'utf8') };
}

export async function startRegistry(t: TestContext, opts: { token?: TokenAuth; tls?: RegistryTls } = {}): Promise<RunningRegistry> {
  const dir = await tempDir(t, 'skiff-registry-');
  const port = await freePort();
  const storage = join(dir, 'storage');
  const auth = opts.token === undefined ? '' : `auth:
  token:
    realm: ${opts.token.realm}
    service: ${opts.token.service}
    issuer: ${opts.token.issuer}
    rootcertbundle: ${opts.token.certPath}
`;
  const config = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
  secret: ${randomBytes(16).toString('hex')}
${opts.tls === undefined ? '' : `  tls:\n    certificate: ${opts.tls.certPath}\n    key: ${opts.tls.keyPath}\n`}${auth}`;
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, config);
  const child = spawn(REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('spawning docker-registry failed');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      killPid(pid, 'SIGTERM');
      await exited;
    }
  });
  // Poll /v2/ rather than wait for a log line: at log level warn the registry prints none.
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => { log += s; });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`docker-registry exited with ${code}: ${log}`))));
  exited.catch(() => undefined);
  for (let i = 0; ; i++) {
    const up = await Promise.race([exited, probe(port, opts.tls !== undefined)]);
    if (up) break;
    if (i > 200) throw new Error(`docker-registry did not answer on 127.0.0.1:${port}: ${log}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { host: `127.0.0.1:${port}`, port, storage };
}

// ------------------------------------------------------------------------------------------------
// Token server (distribution's token auth: JWT signed by a key whose cert the registry trusts)

export interface TokenServer {
  auth: TokenAuth;
  /** Every scope list the server was asked for, in order. */
  requests: { scopes: string[]; account?: string; authorized: boolean }[];
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

export async function startTokenServer(
  t: TestContext,
  opts: { username: string; password: string; expiresInS?: number },
): Promise<TokenServer> {
  const dir = await tempDir(t, 'skiff-token-');
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=skiff-test-token'], { stdio: 'ignore' });
  const key: KeyObject = createPrivateKey(await readFile(keyPath));
  const certDer = Buffer.from((await readFile(certPath, 'utf8')).replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const service = 'skiff-test-registry';
  const issuer = 'skiff-test-issuer';
  const requests: TokenServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const authz = req.headers.authorization ?? '';
    const decoded = authz.startsWith('Basic ') ? Buffer.from(authz.slice(6), 'base64').toString() : '';
    const ok = decoded === `${opts.username}:${opts.password}`;
    requests.push({ scopes, ...(url.searchParams.get('account') === null ? {} : { account: url.searchParams.get('account')! }), authorized: ok });
    req.resume();
    if (!ok || url.searchParams.get('service') !== service) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((s) => {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop()!.split(',');
      return { type, name: rest.join(':'), actions };
    });
    const header = { alg: 'ES256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: opts.username, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${input}.${b64url(sig)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: opts.expiresInS ?? 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const { port } = server.address() as AddressInfo;
  return { auth: { realm: `http://127.0.0.1:${port}/token`, service, issuer, certPath }, requests };
}

// ------------------------------------------------------------------------------------------------
// Images

export interface LayerFile {
  name: string;
  data?: Buffer;
  mode?: number;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
}

export async function tarOf(files: LayerFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const f of files) {
    const type = f.type ?? 'file';
    const hdr = { name: f.name, mode: f.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: new Date(0), type, ...(f.linkname === undefined ? {} : { linkname: f.linkname }) };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(hdr, f.data ?? Buffer.alloc(0), cb);
      else pack.entry(hdr, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface BuiltImage {
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  configDescriptor: Descriptor;
  layers: { descriptor: Descriptor; diffId: Digest; bytes: Buffer }[];
}

/** Builds a docker-schema2 or OCI image from layer file lists and stores every blob in `store`. */
export async function buildImage(
  store: LocalContentStore,
  layers: LayerFile[][],
  opts: { platform?: Platform; oci?: boolean; cmd?: string[] } = {},
): Promise<BuiltImage> {
  const oci = opts.oci ?? true;
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const built: BuiltImage['layers'] = [];
  for (const files of layers) {
    const raw = await tarOf(files);
    const gz = gzipSync(raw);
    const digest = await writeBlob(store, `test-layer-${sha256Digest(gz)}`, gz);
    built.push({ descriptor: { mediaType: oci ? MediaType.OciLayerGzip : MediaType.DockerLayerGzip, digest, size: gz.length }, diffId: sha256Digest(raw), bytes: gz });
  }
  const config: ImageConfig = {
    created: '2024-01-01T00:00:00Z',
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    config: { Cmd: opts.cmd ?? ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: built.map((l) => l.diffId) },
    history: built.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'skiff test' })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = await writeBlob(store, `test-config-${sha256Digest(configBytes)}`, configBytes);
  const configDescriptor: Descriptor = { mediaType: oci ? MediaType.OciConfig : MediaType.DockerConfig, digest: configDigest, size: configBytes.length };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: oci ? MediaType.OciManifest : MediaType.DockerManifest,
    config: configDescriptor,
    layers: built.map((l) => l.descriptor),
  };
  const mBytes = Buffer.from(JSON.stringify(manifest));
  const mDigest = await writeBlob(store, `test-manifest-${sha256Digest(mBytes)}`, mBytes);
  return { manifestDescriptor: { mediaType: manifest.mediaType!, digest: mDigest, size: mBytes.length }, manifest, config, configDescriptor, layers: built };
}

export async function buildIndex(store: LocalContentStore, images: { image: BuiltImage; platform: Platform }[]): Promise<Descriptor> {
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: images.map(({ image, platform }) => ({ ...image.manifestDescriptor, platform })),
  };
  const bytes = Buffer.from(JSON.stringify(index));
  const digest = await writeBlob(store, `test-index-${sha256Digest(bytes)}`, bytes);
  return { mediaType: MediaType.OciIndex, digest, size: bytes.length };
}

export async function busyboxLayer(): Promise<LayerFile[]> {
  const bb = await readFile('/bin/busybox');
  return [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', data: bb, mode: 0o755 },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/hostname', data: Buffer.from('skiff\n') },
  ];
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
