/**
 * Answers and request bodies of the viewer's HTTP API (server.ts): the security headers every answer carries, JSON
 * and error answers, and bounded body reads (a body over the limit is refused before it is buffered).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionRequestError } from './session-error.js';

/** Largest JSON body accepted (ROI shapes, refine thresholds): 8 MiB. */
export const MAX_JSON_BYTES = 8 << 20;

export function send(res: ServerResponse, status: number, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...headers,
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, obj: unknown): void {
  send(res, status, JSON.stringify(obj), { 'Content-Type': 'application/json; charset=utf-8' });
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { ok: false, error: message });
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new SessionRequestError(413, `body: ${declared} bytes is more than the ${limit} accepted`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    const b = c as Buffer;
    n += b.length;
    if (n > limit) throw new SessionRequestError(413, `body: more than the ${limit} bytes accepted`);
    chunks.push(b);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, n);
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req, MAX_JSON_BYTES);
  if (buf.length === 0) return {};
  try {
    return JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8'));
  } catch (err) {
    throw new SessionRequestError(400, `body: invalid JSON (${(err as Error).message})`);
  }
}
