/**
 * Access checks of the viewer server (issue 8): a random per-session token (like Jupyter's) on every request,
 * a Host header that names the loopback address (DNS-rebinding guard), and route parameters taken only from
 * fixed lists, so no request can name a file: the server never turns request text into a path.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** 128 random bits as 32 hex characters. */
export function newSessionToken(): string {
  return randomBytes(16).toString('hex');
}

/** Cookie set on `GET /?token=…` so that `<script src="/app.js">` and the css carry the token too. */
export const TOKEN_COOKIE = 'cellcoloc_token';

function sameSecret(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  // constant time for equal lengths; a length mismatch reveals only the length (32, public)
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/**
 * The token a request presents: `?token=`, header `X-CellColoc-Token`, or (unless `explicitOnly`) the session
 * cookie; null = none. A malformed cookie value (bad percent-encoding) counts as no token (→ 403, never 500).
 */
export function presentedToken(req: Pick<IncomingMessage, 'headers'>, url: URL, explicitOnly = false): string | null {
  const q = url.searchParams.get('token');
  if (q) return q;
  const h = req.headers['x-cellcoloc-token'];
  if (typeof h === 'string' && h) return h;
  if (explicitOnly) return null;
  const cookie = req.headers.cookie;
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) {
        try {
          return decodeURIComponent(part.slice(eq + 1).trim());
        } catch {
          return null;
        }
      }
    }
  }
  return null;
}

/**
 * The request carries the session token. State-changing methods (anything but GET/HEAD) must present it in
 * the `X-CellColoc-Token` header or the query (issue 15.5): a cookie alone is sent by the browser with
 * requests another page makes (another port of 127.0.0.1 is the same site), so it proves nothing for writes.
 */
export function tokenMatches(req: Pick<IncomingMessage, 'headers' | 'method'>, url: URL, token: string): boolean {
  const write = req.method !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
  const t = presentedToken(req, url, write);
  return t !== null && sameSecret(t, token);
}

/**
 * For state-changing requests: an `Origin` (else `Referer`) header, when present, must be this server's own
 * origin `http://<Host>` — a page elsewhere (another port, another site) cannot write even with a token
 * it guessed or leaked into a link.
 */
export function originAllowed(req: Pick<IncomingMessage, 'headers' | 'method'>): boolean {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === undefined) return true;
  const own = `http://${req.headers.host ?? ''}`;
  const origin = req.headers.origin;
  if (typeof origin === 'string') return origin === own;
  const referer = req.headers.referer;
  if (typeof referer === 'string') {
    try {
      return new URL(referer).origin === own;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * The Host header must name the loopback interface (127.0.0.1, localhost, [::1]) — a page on another site that
 * re-points its DNS name at 127.0.0.1 sends its own host name and is refused even before the token check.
 */
export function hostAllowed(host: string | undefined, port?: number): boolean {
  if (!host) return false;
  // Exactly `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT` (issue 15.5: `[::1]evil.com` must not pass).
  const m = /^(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$/.exec(host);
  if (!m) return false;
  return port === undefined || Number(m[2]) === port;
}

/** Exactly one Host header (Node keeps the first of duplicates in `headers`; rawHeaders has them all). */
export function singleHost(req: Pick<IncomingMessage, 'rawHeaders'>): boolean {
  const raw = req.rawHeaders;
  if (!Array.isArray(raw)) return true;
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'host') n++;
  return n === 1;
}

/** Label layers the API serves (contract of issue 8). */
export const LABEL_LAYERS = ['rois', 'cell', 'marker', 'positive', 'optional_region'] as const;
export type LabelLayer = (typeof LABEL_LAYERS)[number];
/** Image channels by role. */
export const CHANNEL_ROLES = ['cell', 'marker', 'optional_region'] as const;
export type ChannelRole = (typeof CHANNEL_ROLES)[number];
/** Layers the browser may edit by hand. */
export const EDITABLE_LAYERS = ['cell', 'marker'] as const;
export type EditableLayer = (typeof EDITABLE_LAYERS)[number];

/** `value` if it is one of `allowed`, else null (the route parameter is never used otherwise). */
export function oneOf<T extends string>(value: string, allowed: readonly T[]): T | null {
  return (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

/**
 * `z` query parameter: `max` (projection) or an integer plane in `[0, Z)`. Missing → `defaultZ`.
 * Returns null when invalid (the caller answers 400).
 */
export function parsePlane(raw: string | null, Z: number, defaultZ: number | 'max' = 0): number | 'max' | null {
  if (raw === null || raw === '') return defaultZ;
  if (raw === 'max') return 'max';
  if (!/^\d{1,9}$/.test(raw)) return null;
  const z = Number(raw);
  return z < Z ? z : null;
}
