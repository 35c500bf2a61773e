import type { NextFunction, Request, Response } from 'express';

/** The operational endpoints: answered at exactly these paths, on the API's own port. */
export const INTERNAL_PATHS: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
]);

/**
 * The path a lenient router or proxy might take `path` for: percent-decoded (repeatedly), lower-cased, empty and
 * `.` segments dropped, `..` applied.
 */
export function foldedPath(path: string): string {
  let decoded = path;
  for (let round = 0; round < 3; round++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
  }
  const segments: string[] = [];
  for (const segment of decoded.toLowerCase().split(/[/\\]/)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

/**
 * Strict routing for the operational endpoints: any other spelling of one of them (case, a trailing slash,
 * doubled or dotted segments, percent-encoding) is 404, whatever the router would have matched. The gateway
 * refuses them too (docker/nginx), so one layer's mistake is not enough to expose them.
 */
export function strictInternalPaths(req: Request, res: Response, next: NextFunction): void {
  if (!INTERNAL_PATHS.has(req.path) && INTERNAL_PATHS.has(foldedPath(req.path))) {
    res.status(404).json({ error: { code: 'E_NOT_FOUND', message: 'Not found' } });
    return;
  }
  next();
}
