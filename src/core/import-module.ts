/**
 * `import()` of a specifier computed at run time (a file URL beside the bundle).
 *
 * The CLI's launcher runs a CommonJS build of the CLI through `vm.Script` with V8's code cache (issue 21,
 * bin/cellcoloc.mjs); Node 20 gives such a script no working `import()` of its own (no callback without
 * --experimental-vm-modules, and none at all from a code cache). The launcher, an ES module, then lends its
 * `import()` through {@link IMPORT_HOOK}; everywhere else (the ES module bundle, tsx, the plain modules) this is
 * the ordinary `import()`.
 */
export const IMPORT_HOOK = Symbol.for('cellcoloc.importModule');

export function importModule<T>(specifier: string): Promise<T> {
  const hook = (globalThis as Record<symbol, unknown>)[IMPORT_HOOK] as ((s: string) => Promise<unknown>) | undefined;
  return (hook ? hook(specifier) : import(specifier)) as Promise<T>;
}
