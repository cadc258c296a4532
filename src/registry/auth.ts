// Registry authentication (distribution registry/client/auth, docker/cli config): anonymous, basic,
// and bearer tokens obtained from the realm a `WWW-Authenticate` challenge names, cached per
// (realm, service, scope) until they expire and refreshed when the registry answers 401.
// Credentials come from a CredentialSource: ~/.docker/config.json (path passed in: layers read no
// env vars), an explicit docker AuthConfig (X-Registry-Auth), or both. Secrets never appear in
// errors or logs: only hosts, realms without userinfo and scopes do.

import * as fs from 'node:fs/promises';
import { SkiffError, invalidArgument, isCode } from '../base/index.js';

// ---------------------------------------------------------------------------------------------
// Challenges (RFC 7235 §4.1)

export interface Challenge {
  /** Lowercased scheme: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lowercased: realm, service, scope, error. */
  params: Record<string, string>;
}

const TOKEN_CHARS = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Parses one or more `WWW-Authenticate` header values into challenges; malformed parts are skipped. */
export function parseChallenges(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const values = typeof header === 'string' ? [header] : header;
  const out: Challenge[] = [];
  for (const value of values) out.push(...parseChallengeValue(value));
  return out;
}

function parseChallengeValue(s: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = s.length;
  const skipWs = (): void => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && TOKEN_CHARS.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const word = token();
    if (word === '') {
      i++; // garbage: skip a character
      continue;
    }
    skipWs();
    if (s[i] === '=' && current !== undefined) {
      i++;
      skipWs();
      let value: string;
      if (s[i] === '"') {
        i++;
        let v = '';
        while (i < n && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < n) i++;
          v += s[i];
          i++;
        }
        i++; // closing quote
        value = v;
      } else {
        value = token();
      }
      current.params[word.toLowerCase()] = value;
      continue;
    }
    if (s[i] === '=' && current === undefined) {
      i = start + word.length + 1; // a parameter before any scheme: ignore it
      continue;
    }
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Credentials

/** docker's AuthConfig (api/types/registry): what X-Registry-Auth and config.json entries carry. */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64("username:password"), as config.json stores it. */
  auth?: string;
  email?: string;
  serveraddress?: string;
  /** An OAuth2 refresh token (docker login against Docker Hub). */
  identitytoken?: string;
  /** A bearer token to send as is. */
  registrytoken?: string;
}

export type Credentials =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identity-token'; username?: string; token: string }
  | { kind: 'registry-token'; token: string };

/** Returns the credentials for a registry host (`docker.io`, `localhost:5000`), if any. */
export type CredentialSource = (host: string) => Promise<Credentials | undefined>;

export const anonymous: CredentialSource = () => Promise.resolve(undefined);

/** docker's ConvertToHostname: `https://index.docker.io/v1/` → `index.docker.io`. */
export function convertToHostname(address: string): string {
  let s = address;
  if (s.startsWith('http://')) s = s.slice(7);
  else if (s.startsWith('https://')) s = s.slice(8);
  const slash = s.indexOf('/');
  return slash < 0 ? s : s.slice(0, slash);
}

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

function sameRegistry(a: string, b: string): boolean {
  const x = convertToHostname(a).toLowerCase();
  const y = convertToHostname(b).toLowerCase();
  return x === y || (HUB_ALIASES.has(x) && HUB_ALIASES.has(y));
}

/** Turns an AuthConfig into Credentials; undefined when it carries none. */
export function credentialsFromAuthConfig(ac: AuthConfig, where: string): Credentials | undefined {
  if (ac.registrytoken !== undefined && ac.registrytoken !== '') return { kind: 'registry-token', token: ac.registrytoken };
  let username = ac.username;
  let password = ac.password;
  if (ac.auth !== undefined && ac.auth !== '') {
    const decoded = Buffer.from(ac.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidArgument(`${where}: auth is not base64 of "username:password"`, { field: 'auth' });
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (ac.identitytoken !== undefined && ac.identitytoken !== '') {
    return { kind: 'identity-token', token: ac.identitytoken, ...(username === undefined ? {} : { username }) };
  }
  if (username !== undefined && username !== '' && password !== undefined) return { kind: 'basic', username, password };
  return undefined;
}

/** Credentials from an explicit AuthConfig (X-Registry-Auth); only for its serveraddress when it names one. */
export function staticCredentials(ac: AuthConfig): CredentialSource {
  const creds = credentialsFromAuthConfig(ac, 'registry auth');
  return (host) => {
    if (ac.serveraddress !== undefined && ac.serveraddress !== '' && !sameRegistry(ac.serveraddress, host)) {
      return Promise.resolve(undefined);
    }
    return Promise.resolve(creds);
  };
}

/** Decodes docker's X-Registry-Auth header (base64url JSON of an AuthConfig). Empty → {}. */
export function decodeRegistryAuth(header: string | undefined): AuthConfig {
  if (header === undefined || header.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(header.trim(), 'base64url').toString('utf8'));
  } catch (err) {
    throw invalidArgument('invalid X-Registry-Auth header: not base64url-encoded JSON', { cause: err, field: 'X-Registry-Auth' });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw invalidArgument('invalid X-Registry-Auth header: not a JSON object', { field: 'X-Registry-Auth' });
  }
  return v as AuthConfig;
}

interface DockerConfigFile {
  auths?: Record<string, AuthConfig>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/**
 * Credentials from a docker config.json (`auths` with `auth`/`identitytoken`). A missing file means
 * anonymous. Credential helpers (`credsStore`, `credHelpers`) are refused with NotImplemented when a
 * host needs one, rather than silently pulling anonymously.
 */
export function dockerConfigCredentials(configPath: string): CredentialSource {
  let loaded: Promise<DockerConfigFile | undefined> | undefined;
  const load = async (): Promise<DockerConfigFile | undefined> => {
    let text: string;
    try {
      text = await fs.readFile(configPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SkiffError('Internal', `reading docker config ${configPath}: ${(err as Error).message}`, { cause: err, path: configPath });
    }
    try {
      return JSON.parse(text) as DockerConfigFile;
    } catch (err) {
      throw invalidArgument(`docker config ${configPath}: invalid JSON`, { cause: err, path: configPath });
    }
  };
  return async (host) => {
    loaded ??= load();
    const cfg = await loaded;
    if (cfg === undefined) return undefined;
    for (const [addr, ac] of Object.entries(cfg.auths ?? {})) {
      if (!sameRegistry(addr, host)) continue;
      const creds = credentialsFromAuthConfig(ac, `${configPath}: auths[${JSON.stringify(addr)}]`);
      if (creds !== undefined) return creds;
    }
    const helper =
      Object.entries(cfg.credHelpers ?? {}).find(([addr]) => sameRegistry(addr, host))?.[1] ?? cfg.credsStore;
    if (helper !== undefined && helper !== '') {
      throw new SkiffError(
        'NotImplemented',
        `credential helper docker-credential-${helper} (named in ${configPath}) is not supported for ${host}`,
        { path: configPath, hint: 'store the credentials inline (auths.<host>.auth) or pass them with the request' },
      );
    }
    return undefined;
  };
}

/** The first source that has credentials for a host wins (explicit auth before config.json). */
export function chainCredentials(...sources: CredentialSource[]): CredentialSource {
  return async (host) => {
    for (const s of sources) {
      const c = await s(host);
      if (c !== undefined) return c;
    }
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// Redaction

/** `https://user:pass@host/path?token=x` → `https://host/path` (pnpm redactUrlCredentials, plus queries). */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url.toString());
    u.username = '';
    u.password = '';
    for (const k of [...u.searchParams.keys()]) {
      if (/token|password|secret|auth|sig|key|credential/i.test(k)) u.searchParams.set(k, 'REDACTED');
    }
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

// ---------------------------------------------------------------------------------------------
// Scopes and tokens

export interface Scope {
  repository: string;
  actions: readonly ('pull' | 'push' | '*')[];
}

/** `repository:library/busybox:pull,push` (distribution token scope grammar). */
export function formatScope(s: Scope): string {
  return `repository:${s.repository}:${[...new Set(s.actions)].sort().join(',')}`;
}

export interface TokenRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** Performs a token request and returns status and parsed JSON body; supplied by the client's transport. */
export type TokenTransport = (req: TokenRequest) => Promise<{ status: number; body: unknown }>;

interface CachedToken {
  token: string;
  expiresAtMs: number;
}

export interface AuthorizerOptions {
  credentials?: CredentialSource;
  transport: TokenTransport;
  now?: () => number;
  /** docker's client id for OAuth2 refresh-token grants. */
  clientId?: string;
}

/** Minimum lifetime the distribution spec promises when a token server says nothing. */
const DEFAULT_TOKEN_LIFETIME_S = 60;

/**
 * Decides the Authorization header per host and scope. Learns a host's challenge from its 401s,
 * caches bearer tokens per (realm, service, scopes) until expiry, drops a token the registry rejected.
 */
export class Authorizer {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly credentials: CredentialSource;
  private readonly now: () => number;

  constructor(private readonly opts: AuthorizerOptions) {
    this.credentials = opts.credentials ?? anonymous;
    this.now = opts.now ?? Date.now;
  }

  /** Records the challenges of a 401 response. Returns false when there is nothing to try (no known scheme). */
  learn(host: string, wwwAuthenticate: string | readonly string[] | undefined): boolean {
    const challenges = parseChallenges(wwwAuthenticate);
    const chosen = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (chosen === undefined) return false;
    this.challenges.set(host, chosen);
    return true;
  }

  hasChallenge(host: string): boolean {
    return this.challenges.has(host);
  }

  /** Forgets the cached token for these scopes (the registry said 401 with it). */
  invalidate(host: string, scopes: readonly Scope[]): void {
    const c = this.challenges.get(host);
    if (c?.scheme === 'bearer') this.tokens.delete(this.tokenKey(c, scopes));
  }

  private tokenKey(c: Challenge, scopes: readonly Scope[]): string {
    return JSON.stringify([c.params.realm, c.params.service, this.scopeStrings(c, scopes)]);
  }

  private scopeStrings(c: Challenge, scopes: readonly Scope[]): string[] {
    // The challenge's own `scope` names what the failed request needed; the request's scopes already
    // say that, and merging it would leak one request's scope into every later token of the host.
    void c;
    return [...new Set(scopes.map(formatScope))].sort();
  }

  /** The Authorization header for a request to `host` needing `scopes`, or undefined (anonymous). */
  async authorization(host: string, scopes: readonly Scope[]): Promise<string | undefined> {
    const c = this.challenges.get(host);
    const creds = await this.credentials(host);
    if (c === undefined) return undefined;
    if (c.scheme === 'basic') {
      if (creds?.kind !== 'basic') {
        throw new SkiffError('Unauthenticated', `${host}: the registry asks for basic authentication and no credentials are configured`, {
          hint: 'log in to the registry first',
        });
      }
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    if (creds?.kind === 'registry-token') return `Bearer ${creds.token}`;
    const key = this.tokenKey(c, scopes);
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAtMs > this.now()) return `Bearer ${cached.token}`;
    let p = this.inflight.get(key);
    if (p === undefined) {
      p = this.fetchToken(host, c, this.scopeStrings(c, scopes), creds).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const tok = await p;
    this.tokens.set(key, tok);
    return `Bearer ${tok.token}`;
  }

  private async fetchToken(host: string, c: Challenge, scopes: string[], creds: Credentials | undefined): Promise<CachedToken> {
    const realm = c.params.realm;
    if (realm === undefined || realm === '') {
      throw new SkiffError('Unauthenticated', `${host}: bearer challenge without a realm`);
    }
    let url: URL;
    try {
      url = new URL(realm);
    } catch (err) {
      throw new SkiffError('Unauthenticated', `${host}: bearer challenge realm is not a URL`, { cause: err });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new SkiffError('Unauthenticated', `${host}: bearer realm ${redactUrl(url)} is not http(s)`);
    }
    const service = c.params.service;
    let req: TokenRequest;
    if (creds?.kind === 'identity-token') {
      const form = new URLSearchParams();
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', creds.token);
      form.set('client_id', this.opts.clientId ?? 'skiff');
      if (service !== undefined) form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      req = { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
    } else {
      if (service !== undefined) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds?.kind === 'basic') {
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
        url.searchParams.set('account', creds.username);
      }
      req = { method: 'GET', url, headers };
    }
    const started = this.now();
    let res: { status: number; body: unknown };
    try {
      res = await this.opts.transport(req);
    } catch (err) {
      if (isCode(err, 'Unavailable') || isCode(err, 'Cancelled')) throw err;
      throw new SkiffError('Unavailable', `${host}: fetching a token from ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
    if (res.status === 401 || res.status === 403) {
      throw new SkiffError(
        res.status === 401 ? 'Unauthenticated' : 'PermissionDenied',
        `${host}: token server ${redactUrl(url)} refused the ${creds === undefined ? 'anonymous ' : ''}request for ${scopes.join(' ') || 'no scope'}: ${res.status}`,
        { hint: creds === undefined ? 'log in to the registry first' : 'check the credentials' },
      );
    }
    if (res.status < 200 || res.status >= 300) {
      throw new SkiffError('Unavailable', `${host}: token server ${redactUrl(url)} answered ${res.status}`);
    }
    const body = res.body as { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown } | null;
    const token = typeof body?.token === 'string' && body.token !== '' ? body.token : body?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new SkiffError('Unauthenticated', `${host}: token server ${redactUrl(url)} returned no token`);
    }
    const lifetime = typeof body?.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_LIFETIME_S;
    const issued = typeof body?.issued_at === 'string' ? Date.parse(body.issued_at) : NaN;
    const base = Number.isFinite(issued) && issued <= this.now() ? issued : started;
    // Expire a little early so a token never runs out in flight.
    return { token, expiresAtMs: base + lifetime * 1000 - Math.min(10_000, lifetime * 100) };
  }
}
