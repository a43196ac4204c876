/**
 * The plotting libraries, in one module so they can be bundled on their own (dist/report/plot-runtime.bundle.cjs)
 * and loaded only when a report is written: Observable Plot, and linkedom as the DOM it renders into in Node.
 */
export * as Plot from '@observablehq/plot';
export { parseHTML } from 'linkedom';
