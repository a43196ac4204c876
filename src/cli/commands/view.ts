/**
 * `cellcoloc view <config> [--port N] [--no-open]`: the browser viewer (issue 8). Loads the image and the last
 * run's results, serves the single-page app on 127.0.0.1 with a per-session token, prints the URL, opens the
 * browser, and serves until Ctrl-C. `cellcoloc run --view` calls `serveUntilInterrupted` after its run.
 */
import { spawn } from 'node:child_process';
import { InvalidArgumentError, type Command } from 'commander';
import { openViewerServer, whenReady, type ViewerServer } from '../../viewer/server/server.js';
import type { Io } from '../io.js';

function portNumber(v: string): number {
  const n = Number(v);
  if (!/^\d{1,5}$/.test(v.trim()) || n > 65535) throw new InvalidArgumentError(`--port: expected an integer in 0..65535, got ${JSON.stringify(v)}`);
  return n;
}

/** Opens `url` in the desktop's browser; silently does nothing where no opener exists (servers, CI). */
export function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no opener: the printed URL is enough
  }
}

export interface ServeOptions {
  port?: number;
  open?: boolean;
  resultsDir?: string;
}

/**
 * Starts the viewer and prints its URL (the one line scripts and tests parse). The URL is printed (and the
 * browser opened) as soon as the config is valid and the server listens: the page and its script load while
 * the image is decoded (time to first image). An image that cannot be read stops the viewer with its error.
 */
export async function startAndAnnounce(configPath: string, opts: ServeOptions, io: Io): Promise<ViewerServer> {
  const early = await openViewerServer(configPath, {
    port: opts.port ?? 0,
    ...(opts.resultsDir !== undefined ? { resultsDir: opts.resultsDir } : {}),
  });
  io.out(`cellcoloc: viewer at ${early.url}\n`);
  io.err('cellcoloc: press Ctrl-C to stop the viewer\n');
  if (opts.open !== false) openBrowser(early.url);
  const { firstView, progress } = early.early;
  if (firstView?.hasLevels) io.err(`cellcoloc: ${firstView.describe()}\n`);
  // Reading a large image takes seconds: say how far it is (first after 1 s, then every 2 s).
  let tick: NodeJS.Timeout | undefined;
  const report = (next: number) => {
    tick = setTimeout(() => {
      if (progress.finished) return;
      io.err(`cellcoloc: ${progress.line()}\n`);
      report(2000);
    }, next);
    tick.unref();
  };
  report(1000);
  let srv: ViewerServer;
  try {
    srv = await whenReady(early);
  } finally {
    clearTimeout(tick);
  }
  if (progress.elapsedMs > 1000) io.err(`cellcoloc: image read in ${(progress.elapsedMs / 1000).toFixed(1)} s\n`);
  for (const w of srv.session.warnings) io.err(`cellcoloc: warning: ${w}\n`);
  if (firstView?.failure) io.err(`cellcoloc: warning: ${firstView.failure}\n`);
  return srv;
}

/** Serves until SIGINT/SIGTERM (a long-running command, so it owns the signals while it runs). */
export async function serveUntilInterrupted(configPath: string, opts: ServeOptions, io: Io): Promise<void> {
  const srv = await startAndAnnounce(configPath, opts, io);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await srv.close();
  io.err('cellcoloc: viewer stopped\n');
}

export function register(program: Command, io: Io): void {
  program
    .command('view')
    .description('open the browser viewer: layers, ROI drawing, run, tables, label editing, Cellpose refinement, export')
    .argument('<config>', 'config file (.yaml, .yml or .json) of the two-channel analysis')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', portNumber)
    .option('--no-open', 'do not open a browser; only print the URL')
    .option('--results-dir <dir>', 'results folder, if not the config\'s (overrides results_dir)')
    .action(async (configPath: string, opts: { port?: number; open: boolean; resultsDir?: string }) => {
      await serveUntilInterrupted(configPath, opts, io);
    });
}
