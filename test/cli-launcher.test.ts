/**
 * bin/cellcoloc.mjs: the V8 flag it sets (WebAssembly modules compiled whole, off the main thread) is set before
 * the bundled CLI is loaded with the build's code cache, as when the build wrote that cache — V8 refuses a cache
 * made under other flags, and the CLI then compiles its start-up JavaScript anew on every run (~40 ms). And on Linux
 * it gives V8's helper threads (garbage collection, optimising compilers) the lowest priority, so that on a machine with
 * few cores they do not take a core from the main thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';

test('the launcher loads the bundled CLI with its code cache accepted', (t) => {
  if (!existsSync('dist/cli/cellcoloc.bundle.cjs') || !readdirSync('dist/cli').some((f) => f.endsWith('.codecache'))) {
    t.skip('dist/ has no bundle with a code cache (npm run build writes both)');
    return;
  }
  const r = spawnSync(process.execPath, ['bin/cellcoloc.mjs', '--version'], { env: { ...process.env, CELLCOLOC_DEBUG_CODE_CACHE: '1' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /cellcoloc: code cache accepted/);
});

/** The nice value of each thread of a running process (Linux /proc: field 19 of /proc/PID/task/TID/stat). */
function threadNiceValues(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      // after the command name in parentheses (which may hold spaces): state is field 3, nice field 19
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(task), Number(fields[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Starts `cellcoloc view` on the demo config (no browser), returns the thread nice values once it serves, then stops it. */
async function launcherThreadNice(env: NodeJS.ProcessEnv): Promise<{ main: number; others: number[] }> {
  const results = mkdtempSync(join(tmpdir(), 'cellcoloc-nice-'));
  const child = spawn(process.execPath, ['bin/cellcoloc.mjs', 'view', 'data/demo/ht29_demo.yaml', '--no-open', '--results-dir', results], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the viewer did not start within 60 s: ${output}`)), 60_000);
      const seen = (chunk: Buffer) => {
        output += chunk.toString();
        if (/http:\/\/127\.0\.0\.1:\d+/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', seen);
      child.stderr.on('data', seen);
      child.on('exit', (code) => reject(new Error(`the viewer exited (${code}): ${output}`)));
    });
    const nice = threadNiceValues(child.pid!);
    const main = nice.get(child.pid!);
    assert.ok(main !== undefined, 'the main thread is listed');
    return { main, others: [...nice].filter(([tid]) => tid !== child.pid).map(([, n]) => n) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
    rmSync(results, { recursive: true, force: true });
  }
}

test('on Linux the launcher lowers the priority of V8 helper threads, not of the main thread', { skip: process.platform !== 'linux' }, async () => {
  const own = getPriority(0); // the test's own nice value: the child's main thread inherits it
  const lowered = await launcherThreadNice({ CELLCOLOC_HELPER_THREADS: '' }); // whatever the caller's environment says
  assert.equal(lowered.main, own, 'the main thread keeps the priority it was started with');
  // Node starts four V8 platform threads before any JavaScript: all of them at nice 19 (threads started later, libuv's
  // pool, keep the process's priority).
  assert.ok(lowered.others.filter((n) => n === 19).length >= 4, `helper threads at nice 19: ${lowered.others.join(', ')}`);
  const normal = await launcherThreadNice({ CELLCOLOC_HELPER_THREADS: 'normal' });
  assert.equal(normal.main, own);
  assert.deepEqual(
    normal.others.filter((n) => n !== own),
    [],
    'CELLCOLOC_HELPER_THREADS=normal leaves every thread at the priority it was started with',
  );
});
