/**
 * HTTP server of `cellcoloc view` (issue 8): binds 127.0.0.1 only, refuses every request without the session
 * token (403), serves the single-page app from the viewer's own dist folder (three fixed files) and the JSON /
 * binary API of the contract in docs/viewer.md. No request text ever becomes a file path: layer, role and sheet
 * names are checked against fixed lists, and every file the session touches comes from the config.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { isCellColocError } from '../../core/errors.js';
import { loadConfigFile } from '../../config/load-config.js';
import { encodeRuns } from '../render/label-runs.js';
import {
  CHANNEL_ROLES,
  EDITABLE_LAYERS,
  LABEL_LAYERS,
  TOKEN_COOKIE,
  hostAllowed,
  newSessionToken,
  originAllowed,
  singleHost,
  oneOf,
  parsePlane,
  tokenMatches,
} from './security.js';
import { openViewerSession } from './single-channel-session.js';
import { SessionRequestError, ViewerSession, type RefineRequest } from './session.js';
import { MAX_STEP, parseStep, planeContrast, preview, downsampleMean } from './plane-preview.js';
import { STATIC, inlinedPage, staticCandidates } from './static-files.js';
import { readBody, readJson, send, sendError, sendJson } from './http-io.js';
import { FirstView } from './first-view.js';
import { LoadProgress } from './load-progress.js';
import { sendLevelPreview } from './first-view-routes.js';

export interface ViewerServerOptions {
  /** 0 (default) = a free port chosen by the system. */
  port?: number;
  /** Fixed token (tests); default 128 random bits. */
  token?: string;
  /** Folder holding `app.js`, `index.html` and `app.css` (default: `dist/viewer` of the package, then `src/viewer/app`). */
  staticDir?: string;
  /**
   * Test hook of `openViewerServer`: awaited after the first view's read-ahead and before the session reads the
   * image, so that a test decides when the analysed level arrives (the first paint is then on screen for sure).
   */
  beforeImageLoad?: () => Promise<void>;
}

/** What a server knows before its session has loaded: the first view of a multiscale store and the load progress. */
export interface EarlyView {
  firstView: FirstView | null;
  progress: LoadProgress;
}

export interface ViewerServer {
  url: string;
  port: number;
  token: string;
  session: ViewerSession;
  server: Server;
  close(): Promise<void>;
}

/**
 * A server that listens before its session has loaded the image (`openViewerServer`): the page, its script
 * and stylesheet are served at once; API requests wait for `ready` (and answer its error if loading failed).
 */
export interface EarlyViewerServer {
  url: string;
  port: number;
  token: string;
  server: Server;
  /** The session once config, image and ROI labels are loaded (rejects with the loading error). */
  ready: Promise<ViewerSession>;
  /** The first view (multiscale OME-Zarr) and the load's progress, for the command line. */
  early: EarlyView;
  close(): Promise<void>;
}

/**
 * Request handler bound to one session and token (exported for tests that skip the socket). The session may
 * still be loading (a promise): static files are served at once, API requests wait for it.
 */
export function createHandler(sessionIn: ViewerSession | Promise<ViewerSession>, token: string, opts: ViewerServerOptions = {}, early: EarlyView | null = null) {
  const dirs = staticCandidates(opts);
  const page = inlinedPage(dirs);
  const served = new Set<string>();
  let inFlight = 0;
  /** The session once loaded (null while it loads). */
  let opened: ViewerSession | null = sessionIn instanceof ViewerSession ? sessionIn : null;
  /** The session's loading failed: its error answers every API request (no early state any more). */
  let failed = false;
  /** The first view of a multiscale store, when the image has coarser levels to paint from. */
  const fv = early?.firstView?.hasLevels ? early.firstView : null;
  /** The image the session opened with (the first view shows that one). */
  let loadedAtOpen: ViewerSession['loaded'] | null = null;
  /** A page has started loading the first view (a channel plane or preview was asked for). */
  let viewStarted = false;
  const sessionP = Promise.resolve(sessionIn);
  sessionP.then(
    (s) => {
      opened = s;
      loadedAtOpen = s.loaded;
      // The session holds the analysed level now: the coarse planes read for the first paint can go.
      fv?.release();
      // Whoever never asks for an image (API clients, tests) still gets the last results shortly. While a page is
      // still loading its first view (a slow machine), wait a little longer (at most 4 × 1.5 s more).
      let waits = 0;
      const fallback = () => {
        if (viewStarted && !served.has('labels:rois') && waits++ < 4) setTimeout(fallback, 1500).unref();
        else s.startDeferredResultLoad();
      };
      setTimeout(fallback, 1500).unref();
      // While `/api/state` travels to the page, prepare what its first paint asks for next: the contrast limits
      // and the 2×2 display-level previews of the first view's plane (plane 0, or the max projection of a stack).
      // (Not for a multiscale store: its previews come from its levels.)
      if (!fv) setImmediate(() => {
        const z = s.shapeZyx[0] > 1 ? 'max' : 0;
        for (const role of CHANNEL_ROLES) {
          const p = s.channelPlane(role, z);
          if (p && p.shapeYx[0] * p.shapeYx[1] >= 1 << 20) preview(p, 2);
        }
      });
    },
    () => {
      failed = true; // answered to every API request below
    },
  );
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // The first view has been sent once both channel planes and the ROI plane went out and nothing else is pending: only then
    // read the last results (their table pass blocks this thread for ~2 s on a 2048×2048 image).
    inFlight++;
    res.once('close', () => {
      inFlight--;
      const s = opened;
      if (s && inFlight === 0 && served.has('labels:rois') && served.size >= Math.min(2, s.channelCount()) + 1) {
        setImmediate(() => inFlight === 0 && s.startDeferredResultLoad());
      }
    });
    try {
      const port = req.socket?.localPort;
      if (!singleHost(req) || !hostAllowed(req.headers.host, typeof port === 'number' ? port : undefined)) {
        return sendError(res, 403, 'forbidden: the viewer answers requests to 127.0.0.1/localhost only (one Host header naming this port)');
      }
      // The URL base is fixed: only the path and query of the request are used.
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://127.0.0.1');
      } catch {
        return sendError(res, 400, 'bad request URL');
      }
      if (!tokenMatches(req, url, token)) {
        return sendError(
          res,
          403,
          req.method === 'GET' || req.method === 'HEAD'
            ? 'forbidden: missing or wrong session token (open the URL that `cellcoloc view` printed)'
            : 'forbidden: a change needs the session token in the X-CellColoc-Token header or the query, not only the cookie',
        );
      }
      if (!originAllowed(req)) return sendError(res, 403, `forbidden: ${req.method} from another origin (${req.headers.origin ?? req.headers.referer})`);
      const method = req.method ?? 'GET';
      const path = url.pathname;

      const st = STATIC[path];
      if (st) {
        if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, `${method} ${path}: only GET`);
        const dir = dirs.find((d) => existsSync(join(d, st.name)));
        if (!dir) return sendError(res, 404, `${st.name} not built: run npm run build`);
        const headers: Record<string, string> = { 'Content-Type': st.type };
        // The page's sub-requests (app.js, app.css, when not inlined) carry the token as a cookie.
        if (st.name === 'index.html') headers['Set-Cookie'] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
        return send(res, 200, st.name === 'index.html' && page ? page : readFileSync(join(dir, st.name)), headers);
      }

      if (!path.startsWith('/api/')) return sendError(res, 404, `${path}: not found`);
      const parts = path.slice(5).split('/');
      const route = parts[0];
      let arg: string | null = null;
      if (parts.length === 2) {
        try {
          arg = decodeURIComponent(parts[1]);
        } catch {
          return sendError(res, 400, `${path}: malformed percent-encoding`);
        }
      }
      if (parts.length > 2) return sendError(res, 404, `${path}: not found`);
      // A multiscale OME-Zarr image (first-view.ts): the state before the session has loaded and the first paint's
      // previews come from the store's metadata and coarser levels; every other request waits for the session.
      if (fv && method === 'GET') {
        if (route === 'state' && arg === null && !opened && !failed) return sendJson(res, 200, fv.state(early!.progress.event()));
        const role = route === 'channel' && arg !== null ? oneOf(arg, CHANNEL_ROLES) : null;
        const step = parseStep(url.searchParams.get('step'));
        // Until a run in the session replaces the image it was opened with (the store may then be another one).
        const current = !opened || opened.loaded === loadedAtOpen;
        if (role && fv.hasRole(role) && step !== null && step > 1 && current) {
          const z = parsePlane(url.searchParams.get('z'), fv.shapeZyx[0]);
          const got = z === null ? null : await fv.channelPreview(role, z, step, url.searchParams.get('scaled') === '1').catch(() => null);
          viewStarted = true;
          // null: no level fits this step, or a level could not be read: the session's block means answer below.
          if (got) {
            sendLevelPreview(res, got, step);
            fv.markSent(role);
            return;
          }
        }
      }
      // Loading errors (unreadable image, …) are the answer to every API request.
      const session = await sessionP;
      const [Z] = session.shapeZyx;

      if (route === 'state' && arg === null && method === 'GET') return sendJson(res, 200, await session.state());

      if (route === 'channel' && arg !== null && method === 'GET') {
        const role = oneOf(arg, CHANNEL_ROLES);
        if (!role) return sendError(res, 404, `channel ${JSON.stringify(arg)}: expected one of ${CHANNEL_ROLES.join(', ')}`);
        const z = parsePlane(url.searchParams.get('z'), Z);
        if (z === null) return sendError(res, 400, `z: expected max or an integer in [0, ${Z}), got ${JSON.stringify(url.searchParams.get('z'))}`);
        const step = parseStep(url.searchParams.get('step'));
        if (step === null) return sendError(res, 400, `step: expected an integer in [1, ${MAX_STEP}], got ${JSON.stringify(url.searchParams.get('step'))}`);
        const p = session.channelPlane(role, z);
        if (!p) return sendError(res, 404, `channel ${role}: not in this analysis`);
        viewStarted = true;
        // Contrast limits of the full-resolution plane (the app's default look), so that a preview shows them too.
        const [lo, hi] = planeContrast(p);
        const headers = { 'Content-Type': 'application/octet-stream', 'X-Dtype': p.dtype, 'X-Contrast': `${lo},${hi}` };
        if (step > 1) {
          // Reduced-resolution preview for the first paint (block means); not counted as the plane being sent.
          // `scaled=1`: as uint8 display levels of the contrast limits (half the bytes of a uint16 preview).
          const scaled = url.searchParams.get('scaled') === '1';
          const d = scaled ? preview(p, step) : downsampleMean(p, step);
          // Where the preview lies on the image (analysed pixels): block j covers [j·step, (j+1)·step).
          const at = { 'X-Shape': `${d.shapeYx[0]},${d.shapeYx[1]}`, 'X-Step': String(step), 'X-Origin': '0,0', 'X-Pixel': `${step},${step}` };
          if (scaled) return send(res, 200, d.bytes, { ...headers, ...at, 'X-Dtype': d.dtype, 'X-Scaled': `${lo},${hi}` });
          return send(res, 200, d.bytes, { ...headers, ...at });
        }
        served.add(role);
        return send(res, 200, p.bytes, { ...headers, 'X-Shape': `${p.shapeYx[0]},${p.shapeYx[1]}` });
      }

      if (route === 'labels' && arg !== null && (method === 'GET' || method === 'PUT')) {
        if (method === 'PUT') {
          const layer = oneOf(arg, EDITABLE_LAYERS);
          if (!layer) return sendError(res, 400, `labels ${JSON.stringify(arg)}: only ${EDITABLE_LAYERS.join(' and ')} can be edited`);
          const z = parsePlane(url.searchParams.get('z'), Z, 0);
          if (z === null || z === 'max') return sendError(res, 400, `z: expected an integer plane in [0, ${Z}) for an edit`);
          const [, Y, X] = session.shapeZyx;
          const body = await readBody(req, Y * X * 4);
          session.putLabelPlane(layer, z, body);
          return sendJson(res, 200, { ok: true });
        }
        const layer = oneOf(arg, LABEL_LAYERS);
        if (!layer) return sendError(res, 404, `labels ${JSON.stringify(arg)}: expected one of ${LABEL_LAYERS.join(', ')}`);
        const z = parsePlane(url.searchParams.get('z'), Z);
        if (z === null) return sendError(res, 400, `z: expected max or an integer in [0, ${Z}), got ${JSON.stringify(url.searchParams.get('z'))}`);
        const plane = session.labelPlane(layer, z);
        if (layer === 'rois') served.add('labels:rois');
        if (!plane) return sendError(res, 404, `labels ${layer}: no such layer yet (run the analysis first)`);
        const [, Y, X] = session.shapeZyx;
        const bytes = new Uint8Array(plane.buffer, plane.byteOffset, plane.byteLength);
        const headers = { 'Content-Type': 'application/octet-stream', 'X-Dtype': 'uint32', 'X-Shape': `${Y},${X}` };
        // `?enc=rle` (the app): the plane as runs of equal ids in raster order, Uint32 pairs (id, length). Label planes
        // are long runs: a 1024² plane of ~500 cells is ~200–400 KiB instead of 4 MiB, encoded in one pass here and
        // decoded with typed fills in the page. Measured in Chromium, moving 4 MiB of body through the browser costs
        // 40–140 ms per plane (also with Content-Encoding), and gzip + an in-page DecompressionStream ~100 ms more.
        if (url.searchParams.get('enc') === 'rle') {
          return send(res, 200, encodeRuns(plane), { ...headers, 'X-Encoding': 'rle' });
        }
        return send(res, 200, bytes, headers);
      }

      if (route === 'table' && arg !== null && method === 'GET') {
        // The sheet name is only compared with the result's sheet names.
        const t = session.tableJson(arg);
        if (!t) return sendError(res, 404, `table ${JSON.stringify(arg)}: not available (sheets: ${session.sheetNames().join(', ') || 'none, run the analysis first'})`);
        return sendJson(res, 200, t);
      }

      if (method === 'POST' && arg === null) {
        if (route === 'rois') {
          const body = (await readJson(req)) as { shapes?: unknown };
          const r = await session.saveRois(body?.shapes);
          return sendJson(res, 200, { ok: true, ...r });
        }
        if (route === 'rois-config') {
          const r = await session.applyRoisConfig();
          return sendJson(res, 200, { ok: true, ...r });
        }
        if (route === 'run') {
          if (!session.startRun()) return sendError(res, 409, 'an analysis is already running');
          return sendJson(res, 202, { ok: true, started: true });
        }
        if (route === 'reanalyze') {
          const r = await session.reanalyze();
          return sendJson(res, 200, { ok: true, ms: Math.round(r.ms * 10) / 10 });
        }
        if (route === 'refine') {
          const body = (await readJson(req)) as RefineRequest;
          const r = await session.refine(body ?? {});
          return sendJson(res, 200, { ok: true, ms: Math.round(r.ms * 10) / 10 });
        }
        if (route === 'export') {
          const r = await session.exportResults();
          return sendJson(res, 200, { ok: true, files: r.files });
        }
      }
      return sendError(res, 404, `${method} ${path}: not found`);
    } catch (err) {
      if (err instanceof SessionRequestError) return sendError(res, err.status, err.message);
      const msg = ((err as Error)?.message ?? String(err)).replace(/\s*\n\s*/g, ' ');
      // Our tagged errors are the user's input (config, shapes, files); anything else is a bug.
      return sendError(res, isCellColocError(err) ? 400 : 500, msg);
    }
  };
}

/** How long the analysed level's read waits for a page's first-paint previews after the read-ahead (ms). */
const FIRST_PAINT_WAIT_MS = 1000;

/** Opens the session (config, image, last results) and starts listening on 127.0.0.1; resolves once the image is loaded. */
export async function startViewerServer(
  configPath: string,
  options: ViewerServerOptions & { resultsDir?: string } = {},
): Promise<ViewerServer> {
  return whenReady(await openViewerServer(configPath, options));
}

/** The server once its session (image, last results) is loaded; a session that fails to load closes it. */
export async function whenReady(early: EarlyViewerServer): Promise<ViewerServer> {
  let session: ViewerSession;
  try {
    session = await early.ready;
  } catch (err) {
    await early.close();
    throw err;
  }
  return { ...early, session };
}

/**
 * Checks the config, starts listening on 127.0.0.1 and loads the image in the background (what `cellcoloc view`
 * uses: the browser loads the page and the app while the image is decoded). Config errors (unreadable, invalid,
 * single-channel) reject before anything listens; image errors reject `ready` and are every API request's answer.
 */
export async function openViewerServer(
  configPath: string,
  options: ViewerServerOptions & { resultsDir?: string } = {},
): Promise<EarlyViewerServer> {
  const overrides = options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {};
  const config = await loadConfigFile(configPath, overrides);
  // A multiscale OME-Zarr store paints first from a coarser level (first-view.ts; metadata only here). A store
  // that cannot be opened yields none: the session then reports the error.
  const firstView = await FirstView.open(config).catch(() => null);
  const progress = new LoadProgress(firstView?.analysedChunks ?? null);
  const early: EarlyView = { firstView, progress };
  // The first paint's coarse planes are read before the analysed level, not beside it: on a few cores the two
  // reads would share them, and the first paint needs a small fraction of the bytes (1/16 for a 4× level).
  const firstPaint = firstView?.hasLevels ? firstView.prefetch() : Promise.resolve();
  const ready = (async () => {
    await firstPaint;
    // …and the page's previews are computed and sent before it, too, when a page asks for them within a second
    // (the browser opened by `cellcoloc view`); without a page the analysed level waits that second at most.
    if (firstView?.hasLevels) await Promise.race([firstView.painted, new Promise((r) => setTimeout(r, FIRST_PAINT_WAIT_MS).unref())]);
    await options.beforeImageLoad?.();
    try {
      // (a single-channel config opens its own session, issue 16.6)
      return await openViewerSession(configPath, { ...overrides, deferResults: true, onImageStack: (s) => progress.track(s) });
    } finally {
      progress.finish();
    }
  })();
  ready.catch(() => undefined); // the caller awaits it; no unhandled rejection meanwhile
  const srv = await listen(ready, options, early);
  return {
    ...srv,
    ready,
    early,
    close: async () => {
      const s = await ready.catch(() => null);
      s?.dispose();
      await s?.waitForRun();
      await srv.closeSocket();
    },
  };
}

export async function serveSession(session: ViewerSession, options: ViewerServerOptions = {}): Promise<ViewerServer> {
  const srv = await listen(session, options);
  return {
    ...srv,
    session,
    close: async () => {
      session.dispose();
      await session.waitForRun();
      await srv.closeSocket();
    },
  };
}

async function listen(
  session: ViewerSession | Promise<ViewerSession>,
  options: ViewerServerOptions,
  early: EarlyView | null = null,
): Promise<{ url: string; port: number; token: string; server: Server; closeSocket(): Promise<void> }> {
  const token = options.token ?? newSessionToken();
  const handler = createHandler(session, token, options, early);
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    server,
    closeSocket: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

export { downsampleMean } from './plane-preview.js';
