/**
 * Runs `cellcoloc run` (the built CLI, bin/cellcoloc.mjs) on one fuzz case in its own process, under a
 * wall-clock timeout and an address-space cap (`ulimit -v`, so a runaway allocation dies instead of taking
 * the machine), and classifies the outcome (issue 15.6):
 * - `ok`: exit 0;
 * - `clean`: exit 1 with exactly one `cellcoloc: error: …` line naming the file (warnings may precede it);
 * - `crash`: anything else (signal, V8 abort, stack trace, several lines, error not naming the file);
 * - `hang`: killed by the timeout.
 */
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const BIN = resolve(new URL('../../bin/cellcoloc.mjs', import.meta.url).pathname);

export type Outcome = 'ok' | 'clean' | 'crash' | 'hang';

export interface CaseResult {
  outcome: Outcome;
  code: number | null;
  signal: string | null;
  stderr: string;
  ms: number;
}

/** 4 GiB of address space: Node itself needs ~1 GiB; WebAssembly's 10 GiB reservation fails (→ a clean error). */
export const ADDRESS_SPACE_KIB = 4 * 1024 * 1024;

/** Writes the single-channel config for `image` into `dir` (otsu on channel 0, results in dir/res). */
function writeConfig(dir: string, image: string): string {
  const p = join(dir, 'cfg.yaml');
  writeFileSync(
    p,
    `image: ${JSON.stringify(image)}
results_dir: ${JSON.stringify(join(dir, 'res'))}
voxel_scale_zyx: [1.0, 1.0, 1.0]
single_channel_config: {channel_index: 0}
model_config: {segmentation_method: otsu}
analysis_config: {min_object_voxels: 1}
rois: full
`,
  );
  return p;
}

export function classify(code: number | null, signal: string | null, stderr: string, image: string, timedOut: boolean): Outcome {
  if (timedOut) return 'hang';
  if (code === 0 && signal === null) return 'ok';
  const lines = stderr.split('\n').filter((l) => l.length > 0 && !/^cellcoloc: (warning|notice): /.test(l));
  if (code === 1 && lines.length === 1 && lines[0].startsWith('cellcoloc: error: ') && lines[0].includes(image)) return 'clean';
  return 'crash';
}

/** Runs one case: `bytes` written as `dir/case.tif`, the CLI run on it; `dir` is emptied afterwards. */
export function runCase(dir: string, bytes: Uint8Array, timeoutMs: number): Promise<CaseResult> {
  mkdirSync(dir, { recursive: true });
  const image = join(dir, 'case.tif');
  writeFileSync(image, bytes);
  const cfg = writeConfig(dir, image);
  const t0 = Date.now();
  return new Promise((done) => {
    const child = spawn(
      'bash',
      ['-c', `ulimit -v ${ADDRESS_SPACE_KIB}; exec "${process.execPath}" --max-old-space-size=1536 "${BIN}" run "${cfg}" -q --no-report`],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      if (stderr.length < 20000) stderr += String(d);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const outcome = classify(code, signal, stderr, image, timedOut);
      rmSync(dir, { recursive: true, force: true });
      done({ outcome, code, signal, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Runs `n` cases through `make(i)` with `parallel` processes at once; calls `onResult` per case. */
export async function runCampaign(
  n: number,
  parallel: number,
  workDir: string,
  timeoutMs: number,
  make: (i: number) => { bytes: Uint8Array; label: string },
  onResult: (i: number, label: string, r: CaseResult, bytes: Uint8Array) => void,
): Promise<void> {
  let next = 0;
  const worker = async (w: number) => {
    while (next < n) {
      const i = next++;
      const { bytes, label } = make(i);
      const r = await runCase(join(workDir, `w${w}`), bytes, timeoutMs);
      onResult(i, label, r, bytes);
    }
  };
  await Promise.all(Array.from({ length: parallel }, (_, w) => worker(w)));
}
