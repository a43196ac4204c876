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

/** The token a request presents: `?token=`, header `X-CellColoc-Token`, or the session cookie; null = none. */
export function presentedToken(req: Pick<IncomingMessage, 'headers'>, url: URL): string | null {
  const q = url.searchParams.get('token');
  if (q) return q;
  const h = req.headers['x-cellcoloc-token'];
  if (typeof h === 'string' && h) return h;
  const cookie = req.headers.cookie;
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim());
    }
  }
  return null;
}

export function tokenMatches(req: Pick<IncomingMessage, 'headers'>, url: URL, token: string): boolean {
  const t = presentedToken(req, url);
  return t !== null && sameSecret(t, token);
}

/**
 * The Host header must name the loopback interface (127.0.0.1, localhost, [::1]) — a page on another site that
 * re-points its DNS name at 127.0.0.1 sends its own host name and is refused even before the token check.
 */
export function hostAllowed(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
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
