/**
 * The workflow of `cellcoloc batch --emit-snakemake` on a real SLURM (issue 14.9), `npm run test:cluster`
 * (also run by `.ci/run`; it takes ≈ 2 minutes, mostly Snakemake's status polling, hence outside `npm test`).
 *
 * A single-node SLURM is started here as root inside a temporary folder (Debian 12's slurmctld / slurmd 22.05 and
 * munge with their own key, socket, spool, state, ports 16817/16818 and SLURM_CONF: nothing system-wide is
 * touched): SlurmUser=root, proctrack/linuxproc, task/none, no accounting (Snakemake falls back to scontrol for the
 * job state), select/cons_tres with CPUs=2 and RealMemory=4096. The daemons are stopped by PID at the end.
 *
 * Then: 3 quarter crops of the demo + a corrupt image, two samples per job, `snakemake --profile
 * DIR/workflow/profiles/slurm`; asserted: every job went through sbatch, the corrupt sample is in failures.csv,
 * experiment_summary.csv and experiment_cells.csv are byte-identical to `cellcoloc batch` on the same sheet.
 *
 * Needs root and the packages (`apt-get install slurmctld slurmd slurm-client munge snakemake`): under CI=true a
 * missing piece fails the test with the reason; otherwise it is skipped with the reason.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cellcoloc, demoBaseConfig, writeTestImages } from '../helpers/experiment.js';
import { snakemakeMissing, SHEET_4 } from '../helpers/snakemake.js';

const DAEMONS = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/scontrol', '/usr/bin/sinfo'];

function whyNot(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (starts slurmctld/slurmd with SlurmUser=root)';
  const absent = DAEMONS.filter((p) => !existsSync(p));
  if (absent.length > 0) return `missing ${absent.join(', ')}: apt-get install -y slurmctld slurmd slurm-client munge`;
  return snakemakeMissing();
}

const reason = whyNot();
const pids: number[] = [];

after(() => {
  // Stop the daemons we started, by PID (slurmd first, then the controller, then munge).
  for (const pid of pids.reverse()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
});

function readPid(file: string): number {
  for (let i = 0; i < 50; i++) {
    if (existsSync(file)) {
      const n = Number(readFileSync(file, 'utf8').trim());
      if (n > 0) return n;
    }
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`no PID in ${file}`);
}

function startSlurm(d: string): Record<string, string> {
  for (const sub of ['state', 'spool', 'log']) mkdirSync(join(d, sub), { recursive: true });
  chmodSync(d, 0o700);
  writeFileSync(join(d, 'munge.key'), randomBytes(1024), { mode: 0o400 });
  const m = spawnSync('/usr/sbin/munged', [`--key-file=${d}/munge.key`, `--socket=${d}/munge.sock`, `--pid-file=${d}/munged.pid`, `--log-file=${d}/log/munged.log`, `--seed-file=${d}/munge.seed`, '--force'], { encoding: 'utf8' });
  assert.equal(m.status, 0, `munged: ${m.stderr}`);
  pids.push(readPid(join(d, 'munged.pid')));
  const conf = join(d, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=cellcoloc-test',
      'SlurmctldHost=localhost(127.0.0.1)',
      'SlurmctldPort=16817',
      'SlurmdPort=16818',
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${d}/munge.sock`,
      `StateSaveLocation=${d}/state`,
      `SlurmdSpoolDir=${d}/spool`,
      `SlurmctldPidFile=${d}/slurmctld.pid`,
      `SlurmdPidFile=${d}/slurmd.pid`,
      `SlurmctldLogFile=${d}/log/slurmctld.log`,
      `SlurmdLogFile=${d}/log/slurmd.log`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core_Memory',
      'ReturnToService=2',
      'MpiDefault=none',
      'NodeName=localnode NodeAddr=127.0.0.1 CPUs=2 RealMemory=4096 State=UNKNOWN',
      'PartitionName=debug Nodes=localnode Default=YES MaxTime=INFINITE State=UP',
    ].join('\n') + '\n',
  );
  const env = { ...process.env, SLURM_CONF: conf, USER: 'root' } as Record<string, string>;
  const c = spawnSync('/usr/sbin/slurmctld', ['-f', conf], { env, encoding: 'utf8' });
  assert.equal(c.status, 0, `slurmctld: ${c.stderr}`);
  pids.push(readPid(join(d, 'slurmctld.pid')));
  const s = spawnSync('/usr/sbin/slurmd', ['-f', conf, '-N', 'localnode'], { env, encoding: 'utf8' });
  assert.equal(s.status, 0, `slurmd: ${s.stderr}`);
  pids.push(readPid(join(d, 'slurmd.pid')));
  for (let i = 0; i < 100; i++) {
    const info = spawnSync('/usr/bin/sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' });
    if (info.stdout.trim() === 'idle') return env;
    spawnSync('sleep', ['0.2']);
  }
  throw new Error(`SLURM node not idle after 20 s; see ${d}/log`);
}

test('the emitted workflow on a real single-node SLURM: same experiment_summary.csv as batch, corrupt sample in failures.csv', { skip: reason && !process.env.CI ? reason : false, timeout: 600_000 }, async () => {
  assert.equal(reason, null, `the SLURM test cannot run here (CI is set): ${reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-slurm-'));
  await writeTestImages(dir);
  writeFileSync(join(dir, 'base.yaml'), demoBaseConfig());
  writeFileSync(join(dir, 'samples.csv'), SHEET_4);
  const env = startSlurm(join(dir, 'slurm'));

  const ref = join(dir, 'batch_results');
  const b = cellcoloc(['batch', join(dir, 'samples.csv'), '--config', join(dir, 'base.yaml'), '--results-dir', ref, '-q', '--no-report']);
  assert.equal(b.code, 1, b.err);

  const out = join(dir, 'slurm_results');
  const e = cellcoloc(['batch', join(dir, 'samples.csv'), '--config', join(dir, 'base.yaml'), '--results-dir', out, '--emit-snakemake', '--samples-per-job', '2', '--no-report']);
  assert.equal(e.code, 0, e.err);
  const t0 = Date.now();
  const s = spawnSync('snakemake', ['--snakefile', join(out, 'workflow', 'Snakefile'), '--profile', join(out, 'workflow', 'profiles', 'slurm'), '--max-status-checks-per-second', '2'], {
    cwd: dir,
    env,
    encoding: 'utf8',
    timeout: 540_000,
  });
  const log = `${s.stdout}\n${s.stderr}`;
  assert.equal(s.status, 0, `snakemake --profile slurm failed:\n${log.slice(-5000)}`);
  process.stderr.write(`# SLURM run: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  // Three SLURM jobs: two chunks of samples and the merge.
  const submitted = [...log.matchAll(/submitted with SLURM jobid (\d+)/g)].map((m) => m[1]);
  assert.equal(submitted.length, 3, log.slice(-3000));
  assert.deepEqual(readdirSync(join(dir, '.snakemake', 'slurm_logs')).sort(), ['rule_merge', 'rule_samples']);
  const failures = readFileSync(join(out, 'failures.csv'), 'utf8').trim().split('\n');
  assert.equal(failures.length, 2, failures.join('\n'));
  assert.match(failures[1], /^broken,/);
  for (const f of ['experiment_summary.csv', 'experiment_cells.csv', 'experiment_by_condition.csv', 'failures.csv']) {
    assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(ref, f), 'utf8'), `${f} differs from batch's`);
  }
});
