/**
 * The viewer's static files (server.ts): the three files of the single-page app, where they are read from, and the
 * page with its script and stylesheet inlined. No request text ever becomes a file path: the names are fixed here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  // Works from src/viewer/server/*.ts (tsx) and from the esbuild bundle in dist/cli/: walk up to our package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'cellcoloc') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

export interface StaticFile {
  name: string;
  type: string;
}

/** The only static files: URL path → file name and content type. */
export const STATIC: Record<string, StaticFile> = {
  '/': { name: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { name: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { name: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { name: 'app.css', type: 'text/css; charset=utf-8' },
};

/** Where a static file is read from: the given folder, else dist/viewer, else the app's source folder (html, css). */
export function staticCandidates(opts: { staticDir?: string }): string[] {
  if (opts.staticDir) return [resolve(opts.staticDir)];
  const root = packageRoot();
  return [join(root, 'dist', 'viewer'), join(root, 'src', 'viewer', 'app')];
}

/**
 * The page with its stylesheet and script inlined (read once, when the handler is made): the browser needs one
 * request instead of three before the app starts — while the image is still being decoded, this thread answers
 * late. null when a file is missing or cannot be inlined safely (then the three files are served as they are).
 */
export function inlinedPage(dirs: string[]): Buffer | null {
  const read = (name: string): string | null => {
    const d = dirs.find((x) => existsSync(join(x, name)));
    return d ? readFileSync(join(d, name), 'utf8') : null;
  };
  const html = read('index.html');
  const css = read('app.css');
  const js = read('app.js');
  if (html === null || css === null || js === null || /<\/(script|style)/i.test(css + js)) return null;
  const link = '<link rel="stylesheet" href="app.css">';
  const script = '<script type="module" src="app.js"></script>';
  if (!html.includes(link) || !html.includes(script)) return null;
  // Replacer functions: `$` sequences in the code must stay as they are.
  return Buffer.from(html.replace(link, () => `<style>${css}</style>`).replace(script, () => `<script type="module">${js}</script>`));
}
