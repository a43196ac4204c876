#!/usr/bin/env node
// Thin launcher. `npm install` (prepare) or `npm run build` compiles dist/: the bundled CLI (fast start)
// and the plain modules (library entry, and the fallback here).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const bundle = new URL('../dist/cli/cellcoloc.bundle.mjs', import.meta.url);
const plain = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(fileURLToPath(bundle)) ? bundle : plain;
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('cellcoloc: error: the package is not built (dist/ is missing): run `npm install` or `npm run build` in the package folder\n');
  process.exit(1);
}
// Backstop: a rejection nobody awaited (a library's background promise) is still one error line, no stack.
process.on('unhandledRejection', (e) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`cellcoloc: error: ${msg.replace(/\s*\n\s*/g, ' ').trim()}\n`);
  process.exit(1);
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
