/**
 * Viewer server timings (issue 8, `npm run bench` after `npm run build`):
 *  - time to first image data: spawn `cellcoloc view <2048×2048 two-channel> --no-open` (the bundled CLI) →
 *    URL printed → `/api/state` + both channel previews (`?step=2&scaled=1`, 2×2 block means as uint8 display levels: what the app paints first on
 *    a ~1000-px canvas) → both full-resolution channel planes → the label planes, requested in the app's order
 *    (the browser-side paint time is measured by the browser bench). Target first image ≤ 1.5 s.
 *  - re-analyse on the demo: `POST /api/reanalyze` + `GET` of the two tables the panel shows. Target ≤ 0.3 s.
 * Uses bench/out/2d_2048x2048.yaml from bench/run.ts (run it first; its results folder supplies the label layers).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'cellcoloc.mjs');

async function startView(cfg: string): Promise<{ url: URL; stop: () => void; t0: number; tUrl: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'view', cfg, '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise<URL>((ok, fail) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /viewer at (http:\/\/\S+)/.exec(out);
      if (m) ok(new URL(m[1]));
    });
    child.on('exit', (code) => fail(new Error(`cellcoloc view exited with ${code}: ${err}`)));
  });
  const tUrl = performance.now();
  return { url, t0, tUrl, stop: () => child.kill('SIGTERM') };
}

async function get(url: URL, path: string, init: RequestInit = {}): Promise<Response> {
  const u = new URL(path, url);
  u.searchParams.set('token', url.searchParams.get('token')!);
  const r = await fetch(u, init);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r;
}

const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function firstImage(cfg: string, runs: number): Promise<void> {
  const totals: number[] = [];
  const firsts: number[] = [];
  const fulls: number[] = [];
  const urls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const v = await startView(cfg);
    try {
      const st = (await (await get(v.url, '/api/state')).json()) as { layers: Record<string, boolean>; image: { shapeZyx: number[] } };
      const planes = ['/api/channel/cell?z=0', '/api/channel/marker?z=0'];
      for (const [k, on] of Object.entries(st.layers)) if (on) planes.push(`/api/labels/${k}?z=0`);
      const tState = performance.now();
      // the app asks for the channel previews first and paints them (first image), then the full planes, then the label planes
      await Promise.all(planes.slice(0, 2).map(async (p) => (await get(v.url, `${p}&step=2&scaled=1`)).arrayBuffer()));
      firsts.push(performance.now() - v.t0);
      await Promise.all(planes.slice(0, 2).map(async (p) => (await get(v.url, p)).arrayBuffer()));
      fulls.push(performance.now() - v.t0);
      await Promise.all(planes.slice(2).map(async (p) => (await get(v.url, p)).arrayBuffer()));
      if (process.env.CELLCOLOC_BENCH_DETAIL) console.log(`  url ${(v.tUrl - v.t0).toFixed(0)} ms, state ${(tState - v.tUrl).toFixed(0)} ms, planes ${(performance.now() - tState).toFixed(0)} ms`);
      totals.push(performance.now() - v.t0);
      urls.push(v.tUrl - v.t0);
      if (i === 0) console.log(`  image ${st.image.shapeZyx.join('×')}, layers: ${planes.length}`);
    } finally {
      v.stop();
    }
  }
  const t = med(firsts) / 1000;
  console.log(
    `view start → state + both channel previews (2×2 block means) received (first image data): median ${t.toFixed(3)} s (URL printed after ${(med(urls) / 1000).toFixed(3)} s; runs ${firsts
      .map((x) => (x / 1000).toFixed(3))
      .join(', ')}); target first image ≤ 1.5 s ${t <= 1.5 ? 'MET (server side)' : 'NOT MET'}`,
  );
  console.log(`view start → also both full-resolution channel planes received: median ${(med(fulls) / 1000).toFixed(3)} s`);
  console.log(`view start → also the label planes received: median ${(med(totals) / 1000).toFixed(3)} s`);
}

async function reanalyseDemo(runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-bench-viewer-'));
  try {
    const demoDir = join(root, 'data', 'demo');
    copyFileSync(join(demoDir, 'ht29_dna_ph3.ome.tif'), join(dir, 'ht29_dna_ph3.ome.tif'));
    const cfg = join(dir, 'ht29_demo.yaml');
    writeFileSync(cfg, readFileSync(join(demoDir, 'ht29_demo.yaml'), 'utf8') + '\nresults_dir: results\n');
    const v = await startView(cfg);
    try {
      await get(v.url, '/api/run', { method: 'POST' });
      for (;;) {
        const s = (await (await get(v.url, '/api/state')).json()) as { busy: boolean; error: string | null };
        if (s.error) throw new Error(s.error);
        if (!s.busy) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const walls: number[] = [];
      const server: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const r = (await (await get(v.url, '/api/reanalyze', { method: 'POST' })).json()) as { ms: number };
        await Promise.all(['/api/table/roi_coloc_overview', '/api/table/cell_summary'].map(async (p) => (await get(v.url, p)).json()));
        walls.push(performance.now() - t0);
        server.push(r.ms);
      }
      const t = med(walls) / 1000;
      console.log(
        `demo re-analyse → tables received: median ${t.toFixed(3)} s (server analyzeExistingMasks ${(med(server) / 1000).toFixed(3)} s); target ≤ 0.3 s ${t <= 0.3 ? 'MET' : 'NOT MET'}`,
      );
    } finally {
      v.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cfg2048 = join(root, 'bench', 'out', '2d_2048x2048.yaml');
console.log('\n== viewer server');
if (!existsSync(cfg2048)) {
  console.log(`skipped the first-image timing: ${cfg2048} missing (run bench/run.ts first)`);
} else {
  await firstImage(cfg2048, 5);
}
await reanalyseDemo(7);
