/**
 * `cellcoloc batch … --emit-snakemake` (issue 14.9): the same experiment as a Snakemake workflow, to run locally
 * (`snakemake --cores N`) or on SLURM (`--profile DIR/workflow/profiles/slurm`, Snakemake ≥ 7.19's `--slurm`).
 *
 * Written into `DIR/workflow/`:
 *   - `Snakefile`: rule `samples` — one job per chunk of samples, each `cellcoloc batch SHEET --only S1,S2,… -q
 *     --no-report` (resume, done.json and per-sample failure records are batch's own); rule `merge` —
 *     `cellcoloc merge DIR` after every chunk; rule `all`.
 *   - `config.yaml`: the command (absolute node and bin/cellcoloc.mjs paths: no PATH setup on the nodes), the
 *     chunks with their samples and resources (mem_mb, runtime in minutes, threads) from the per-sample estimate.
 *   - `scripts/run_chunk.sh`: runs one chunk; it SUCCEEDS when every sample of the chunk has a done.json, failed
 *     or not, so that Snakemake goes on to the merge (which lists the failures in failures.csv) instead of
 *     stopping and deleting the job's outputs. It fails (and Snakemake may retry it) only when a sample has no
 *     record at all: the whole job was killed (time or memory limit of the scheduler) or batch refused to start.
 *   - `profiles/slurm/config.yaml`: `slurm: true`, job count, latency, retries.
 *
 * A chunk's output is a marker `DIR/workflow/done/<chunk>.done` outside the sample folders, which stay exactly
 * what `cellcoloc run` writes plus done.json (the experiment-folder contract); Snakemake may delete it freely —
 * rerunning a chunk whose samples are up to date costs one Node start-up and the resume check.
 *
 * Chunks (samples per cluster job): a job pays Node's start-up and module loading (≈ 0.5 s here), the
 * scheduler's queueing and Snakemake's per-job bookkeeping (submission, status polling: seconds to a minute on
 * a busy cluster), so one job per image would cost more than the image itself for typical 1–4 Mpx threshold
 * runs (≈ 1 s). The default chunk size aims at ≈ 10 minutes of estimated work per job, between 1 and 200 samples.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../io/atomic-write.js';
import { ownPackageRoot } from '../export/manifest.js';
import { planExperiment, type BatchOptions, type PlannedSample } from './batch.js';
import { estimateSampleResources } from './resources.js';

/** Target estimated work per chunk (s) for the default chunk size. */
const TARGET_CHUNK_SECONDS = 600;
const MAX_SAMPLES_PER_JOB = 200;
/** Memory of batch's own parent process beside its workers (MiB). */
const PARENT_MIB = 256;
const TIME_SAFETY = 3;
const MIN_RUNTIME_MINUTES = 5;

export interface EmitOptions extends Pick<BatchOptions, 'sheet' | 'baseConfig' | 'resultsDir' | 'only' | 'force' | 'timeoutPerSampleS'> {
  /** Samples per cluster job; null = ≈ 10 minutes of estimated work. */
  samplesPerJob?: number | null;
  /** Worker processes per job (Snakemake `threads`); null = 1. */
  jobs?: number | null;
  /** Write the experiment report in the merge rule. */
  report?: boolean;
}

export interface ChunkPlan {
  name: string;
  samples: string[];
  threads: number;
  memMb: number;
  runtimeMinutes: number;
  estimatedSeconds: number;
}

export interface EmitResult {
  resultsDir: string;
  workflowDir: string;
  snakefile: string;
  profileDir: string;
  chunks: ChunkPlan[];
  samplesPerJob: number;
  samplesPerJobReason: string;
  /** Samples whose header could not be read (they will fail in their job; default resources). */
  unestimated: string[];
}

interface SampleCost {
  sample: string;
  seconds: number | null;
  memMb: number | null;
}

async function sampleCosts(samples: readonly PlannedSample[]): Promise<SampleCost[]> {
  const out: SampleCost[] = new Array(samples.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < samples.length; i = next++) {
      const s = samples[i];
      try {
        const r = await estimateSampleResources(s.config);
        out[i] = { sample: s.row.sample, seconds: r.expectedSeconds, memMb: r.request.memMb };
      } catch {
        out[i] = { sample: s.row.sample, seconds: null, memMb: null };
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

/** Shell single-quoting (paths with spaces or quotes). */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function chooseSamplesPerJob(requested: number | null, secondsPerSample: number[]): { n: number; reason: string } {
  if (requested !== null) return { n: requested, reason: `--samples-per-job ${requested}` };
  const known = secondsPerSample.filter((s) => s > 0).sort((a, b) => a - b);
  const median = known.length > 0 ? known[Math.floor(known.length / 2)] : 1;
  const n = Math.max(1, Math.min(MAX_SAMPLES_PER_JOB, Math.floor(TARGET_CHUNK_SECONDS / median)));
  return { n, reason: `≈ ${TARGET_CHUNK_SECONDS / 60} min of estimated work per job at ${median.toFixed(1)} s per sample (median), at most ${MAX_SAMPLES_PER_JOB}` };
}

export function planChunks(costs: readonly SampleCost[], samplesPerJob: number, threads: number): ChunkPlan[] {
  const chunks: ChunkPlan[] = [];
  const width = String(Math.ceil(costs.length / samplesPerJob)).length;
  for (let i = 0; i < costs.length; i += samplesPerJob) {
    const part = costs.slice(i, i + samplesPerJob);
    const seconds = part.reduce((a, c) => a + (c.seconds ?? 1), 0);
    const memPerWorker = Math.max(256, ...part.map((c) => c.memMb ?? 0));
    chunks.push({
      name: `chunk${String(chunks.length + 1).padStart(width, '0')}`,
      samples: part.map((c) => c.sample),
      threads,
      // Every worker may hold the largest sample of the chunk at once.
      memMb: Math.ceil((memPerWorker * Math.min(threads, part.length) + PARENT_MIB) / 64) * 64,
      runtimeMinutes: Math.max(MIN_RUNTIME_MINUTES, Math.ceil((seconds / Math.min(threads, part.length)) * TIME_SAFETY / 60)),
      estimatedSeconds: Math.round(seconds * 10) / 10,
    });
  }
  return chunks;
}

function snakefileText(): string {
  return `# Generated by \`cellcoloc batch … --emit-snakemake\` (docs/experiments.md, "Snakemake / SLURM route").
# Emit it again after editing the sample sheet rather than editing this file.
#
#   local:  snakemake --snakefile <this file> --cores N
#   SLURM:  snakemake --snakefile <this file> --profile <this folder>/profiles/slurm
import os

configfile: os.path.join(workflow.basedir, "config.yaml")
# No \`workdir:\`: Snakemake's SLURM executor writes its job logs relative to the folder it was started in
# (.snakemake/slurm_logs/), and sbatch -D uses that folder; every path here is absolute anyway.

RESULTS = config["results_dir"]
CHUNKS = config["chunks"]
RUN_CHUNK = os.path.join(workflow.basedir, "scripts", "run_chunk.sh")
MERGE = os.path.join(workflow.basedir, "scripts", "merge.sh")


rule all:
    input:
        os.path.join(RESULTS, "experiment_summary.csv"),


# One job per chunk of samples: \`cellcoloc batch --only <its samples>\`. It succeeds when every sample of the
# chunk recorded its outcome (done.json, ok or failed), so that one bad image never stops the merge.
rule samples:
    output:
        os.path.join(workflow.basedir, "done", "{chunk}.done"),
    params:
        samples=lambda wc: ",".join(CHUNKS[wc.chunk]["samples"]),
    threads: lambda wc: CHUNKS[wc.chunk]["threads"]
    resources:
        mem_mb=lambda wc: CHUNKS[wc.chunk]["mem_mb"],
        runtime=lambda wc: CHUNKS[wc.chunk]["runtime"],
        cpus_per_task=lambda wc: CHUNKS[wc.chunk]["threads"],
    shell:
        "bash {RUN_CHUNK:q} {wildcards.chunk} {params.samples} {threads} {output:q}"


rule merge:
    input:
        expand(os.path.join(workflow.basedir, "done", "{chunk}.done"), chunk=list(CHUNKS)),
    output:
        os.path.join(RESULTS, "experiment_summary.csv"),
        os.path.join(RESULTS, "failures.csv"),
    resources:
        mem_mb=config["merge"]["mem_mb"],
        runtime=config["merge"]["runtime"],
    shell:
        "bash {MERGE:q}"
`;
}

function runChunkScript(cmd: { node: string; bin: string; sheet: string; base: string; results: string; extra: string[] }): string {
  const cc = `${sq(cmd.node)} ${sq(cmd.bin)}`;
  return `#!/usr/bin/env bash
# One chunk of samples (generated by \`cellcoloc batch … --emit-snakemake\`).
# Usage: run_chunk.sh CHUNK S1,S2,… THREADS MARKER
# Succeeds when every sample recorded its outcome in samples/<sample>/done.json (ok or failed): a failed sample is
# the merge's business (failures.csv), not a reason to stop the workflow.
set -uo pipefail
chunk=$1; samples=$2; threads=$3; marker=$4
results=${sq(cmd.results)}
${cc} batch ${sq(cmd.sheet)} --config ${sq(cmd.base)} --results-dir "$results" --only "$samples" --jobs "$threads" -q --no-report${cmd.extra.map((e) => ' ' + e).join('')}
rc=$?
missing=""; failed=0
for s in \${samples//,/ }; do
  f="$results/samples/$s/done.json"
  if [ ! -f "$f" ]; then missing="$missing $s"
  elif grep -q '"status": *"failed"' "$f"; then failed=$((failed + 1)); fi
done
if [ -n "$missing" ]; then
  echo "cellcoloc: $chunk: no outcome recorded for:$missing (batch exited $rc)" >&2
  exit 1
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "cellcoloc: $chunk: batch exited $rc although every sample is recorded ok" >&2
  exit "$rc"
fi
[ "$failed" -gt 0 ] && echo "cellcoloc: $chunk: $failed sample(s) failed; recorded in their done.json, listed by the merge" >&2
mkdir -p "$(dirname "$marker")" && date -u +%FT%TZ > "$marker"
`;
}

function mergeScript(node: string, bin: string, results: string, report: boolean): string {
  return `#!/usr/bin/env bash
# Last step (generated by \`cellcoloc batch … --emit-snakemake\`): merged tables, failures.csv, manifest${report ? ', report' : ''}.
set -euo pipefail
exec ${sq(node)} ${sq(bin)} merge ${sq(results)} -q${report ? '' : ' --no-report'}
`;
}

/** Validates the sheet like `batch` (throws `ExperimentProblems`), then writes DIR/workflow/. Runs nothing. */
export async function emitSnakemake(options: EmitOptions): Promise<EmitResult> {
  const plan = await planExperiment(options);
  const threads = options.jobs ?? 1;
  const costs = await sampleCosts(plan.samples);
  const spj = chooseSamplesPerJob(options.samplesPerJob ?? null, costs.map((c) => c.seconds ?? 0));
  const chunks = planChunks(costs, spj.n, threads);
  const workflowDir = join(plan.resultsDir, 'workflow');
  const profileDir = join(workflowDir, 'profiles', 'slurm');
  const root = ownPackageRoot();
  const bin = join(root, 'bin', 'cellcoloc.mjs');
  const extra: string[] = [];
  if (options.force) extra.push('--force');
  if (options.timeoutPerSampleS) extra.push(`--timeout-per-sample ${options.timeoutPerSampleS}`);

  const config = {
    results_dir: plan.resultsDir,
    cellcoloc: { node: process.execPath, bin, sheet: plan.sheet.source ?? plan.sheet.path, base_config: plan.base.path, version: plan.version },
    samples_per_job: spj.n,
    samples_per_job_reason: spj.reason,
    merge: { mem_mb: 1024, runtime: Math.max(MIN_RUNTIME_MINUTES, Math.ceil(plan.samples.length / 1000) * 5) },
    chunks: Object.fromEntries(
      chunks.map((c) => [c.name, { samples: c.samples, threads: c.threads, mem_mb: c.memMb, runtime: c.runtimeMinutes, estimated_seconds: c.estimatedSeconds }]),
    ),
  };
  const profile = {
    slurm: true,
    // Jobs in the queue at once; each job is a chunk of samples.
    jobs: 100,
    'latency-wait': 60,
    'rerun-incomplete': true,
    'keep-going': true,
    'printshellcmds': true,
    // A chunk killed by the scheduler (time or memory) has no record for its samples: try once more.
    'restart-times': 1,
    'default-resources': ['mem_mb=1024', 'runtime=10'],
  };
  await mkdir(join(workflowDir, 'scripts'), { recursive: true });
  await mkdir(profileDir, { recursive: true });
  await writeFileAtomic(join(workflowDir, 'config.yaml'), '# Generated by `cellcoloc batch … --emit-snakemake`.\n' + stringify(config));
  await writeFileAtomic(join(workflowDir, 'Snakefile'), snakefileText());
  await writeFileAtomic(
    join(workflowDir, 'scripts', 'run_chunk.sh'),
    runChunkScript({ node: process.execPath, bin, sheet: plan.sheet.source ?? plan.sheet.path, base: plan.base.path, results: plan.resultsDir, extra }),
  );
  await writeFileAtomic(join(workflowDir, 'scripts', 'merge.sh'), mergeScript(process.execPath, bin, plan.resultsDir, options.report !== false));
  await writeFileAtomic(
    join(profileDir, 'config.yaml'),
    '# SLURM profile for the CellColoc workflow (Snakemake >= 7.19 `--slurm`). Add e.g.\n' +
      '# `default-resources: [slurm_account=<account>, slurm_partition=<partition>]` for your cluster.\n' +
      stringify(profile),
  );
  return {
    resultsDir: plan.resultsDir,
    workflowDir,
    snakefile: join(workflowDir, 'Snakefile'),
    profileDir,
    chunks,
    samplesPerJob: spj.n,
    samplesPerJobReason: spj.reason,
    unestimated: costs.filter((c) => c.seconds === null).map((c) => c.sample),
  };
}
