/** One HTTP request to the viewer server on 127.0.0.1, with the time its answer arrived (`performance.now()`). */
import { request } from 'node:http';

export interface TimedResponse {
  status: number;
  body: string;
  raw: Buffer;
  /** `performance.now()` when the answer's last byte arrived: the order of answers is what the worker tests prove. */
  at: number;
}

export function http(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string | Uint8Array): Promise<TimedResponse> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        ok({ status: res.statusCode ?? 0, body: raw.toString(), raw, at: performance.now() });
      });
    });
    req.on('error', fail);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
