// core/wasm-kernels.ts: a module compiled ahead of its first use (off the main thread) is the one instantiated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instantiateKernels, kernelsPrecompiled, precompileKernels } from '../src/core/wasm-kernels.js';

// (module (func (export "f") (result i32) (i32.const 7))), assembled by hand: magic, version, type, function,
// export and code sections.
const SEVEN = Buffer.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b,
]).toString('base64');

test('precompileKernels: compiled off the main thread, then instantiated without compiling again', async () => {
  assert.equal(kernelsPrecompiled(SEVEN), false);
  precompileKernels(SEVEN);
  precompileKernels(SEVEN); // a second call while compiling starts nothing new
  for (let i = 0; i < 100 && !kernelsPrecompiled(SEVEN); i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(kernelsPrecompiled(SEVEN), true);
  const k = instantiateKernels<{ f(): number }>(SEVEN);
  assert.equal(k?.f(), 7);
});

test('precompileKernels: bytes that are not a module fail quietly; their first use gives null as before', async () => {
  const bad = Buffer.from('not a wasm module').toString('base64');
  precompileKernels(bad);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(kernelsPrecompiled(bad), false);
  assert.equal(instantiateKernels(bad), null);
});
