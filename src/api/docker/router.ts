// Routes: method + a path pattern whose groups become params (image names contain slashes, so
// patterns are regexps, as moby's `{name:.*}` routes are).
import type { Handler } from './http.js';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  path: RegExp;
  handler: Handler;
}

export type Match = { route: Route; params: string[] } | { allowed: string[] } | undefined;

export function matchRoute(routes: readonly Route[], method: string, path: string): Match {
  const allowed: string[] = [];
  for (const route of routes) {
    const m = route.path.exec(path);
    if (m === null) continue;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET' && !routes.some((r) => r.method === 'HEAD' && r.path.test(path)))) {
      return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
    }
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}
