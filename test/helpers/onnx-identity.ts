/**
 * Writes a tiny hand-encoded ONNX model for tests: one 1×1 `Conv` whose output channels k = 0, 1, 2
 * all copy input channel 0 (flows = [x0, x0, x0]), with input `input` [batch, C, height, width] and
 * output `flows` [batch, 3, height, width]. With this "identity network" every step around the
 * network (tiling, blending, flips, views, resizing) has hand-computable results.
 */
import { writeFileSync } from 'node:fs';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const tag = (field: number, wt: number) => varint(field * 8 + wt);
const bytesField = (field: number, b: number[] | Uint8Array) => [...tag(field, 2), ...varint(b.length), ...b];
const strField = (field: number, s: string) => bytesField(field, [...Buffer.from(s, 'utf8')]);
const intField = (field: number, v: number) => [...tag(field, 0), ...varint(v)];

function dim(d: number | string): number[] {
  return typeof d === 'number' ? intField(1, d) : strField(2, d);
}
function valueInfo(name: string, dims: (number | string)[]): number[] {
  const shape = dims.flatMap((d) => bytesField(1, dim(d)));
  const tensorType = [...intField(1, 1), ...bytesField(2, shape)];
  const type = bytesField(1, tensorType);
  return [...strField(1, name), ...bytesField(2, type)];
}

export function writeIdentityOnnx(path: string, inputChannels: number, metadata: Record<string, string> = {}): void {
  const w = new Float32Array(3 * inputChannels);
  for (let k = 0; k < 3; k++) w[k * inputChannels] = 1; // out_k = 1 · in_0
  const init = [
    ...[3, inputChannels, 1, 1].flatMap((d) => intField(1, d)),
    ...intField(2, 1), // FLOAT
    ...strField(8, 'W'),
    ...bytesField(9, new Uint8Array(w.buffer)),
  ];
  const node = [...strField(1, 'input'), ...strField(1, 'W'), ...strField(2, 'flows'), ...strField(3, 'conv'), ...strField(4, 'Conv')];
  const graph = [
    ...bytesField(1, node),
    ...strField(2, 'identity'),
    ...bytesField(5, init),
    ...bytesField(11, valueInfo('input', ['batch', inputChannels, 'height', 'width'])),
    ...bytesField(12, valueInfo('flows', ['batch', 3, 'height', 'width'])),
  ];
  const opset = [...strField(1, ''), ...intField(2, 17)];
  const meta = Object.entries(metadata).flatMap(([k, v]) => bytesField(14, [...strField(1, k), ...strField(2, v)]));
  const model = [...intField(1, 8), ...strField(2, 'cellcoloc-test'), ...bytesField(7, graph), ...bytesField(8, opset), ...meta];
  writeFileSync(path, Uint8Array.from(model));
}
