/**
 * Minimal `.npy` reader for test fixtures (format 1.0/2.0, little-endian, C order, no pickles).
 */
import { readFileSync } from 'node:fs';

export type NpyData = Float32Array | Float64Array | Uint8Array | Uint16Array | Uint32Array | Int32Array | Int16Array | Int8Array | BigInt64Array;

export interface Npy {
  dtype: string;
  shape: number[];
  data: NpyData;
}

export function readNpy(path: string): Npy {
  const buf = readFileSync(path);
  if (buf.readUInt32BE(0) !== 0x934e554d || buf.toString('latin1', 4, 6) !== 'PY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeStr === undefined) throw new Error(`${path}: bad .npy header ${header}`);
  if (fortran === 'True') throw new Error(`${path}: Fortran order not supported`);
  const shape = shapeStr
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const off = start + headerLen;
  const bytes = buf.subarray(off);
  const copy = (n: number) => {
    const ab = new ArrayBuffer(count * n);
    new Uint8Array(ab).set(bytes.subarray(0, count * n));
    return ab;
  };
  let data: NpyData;
  switch (descr) {
    case '<f4':
      data = new Float32Array(copy(4));
      break;
    case '<f8':
      data = new Float64Array(copy(8));
      break;
    case '|u1':
    case '<u1':
      data = new Uint8Array(copy(1));
      break;
    case '|i1':
      data = new Int8Array(copy(1));
      break;
    case '<u2':
      data = new Uint16Array(copy(2));
      break;
    case '<i2':
      data = new Int16Array(copy(2));
      break;
    case '<u4':
      data = new Uint32Array(copy(4));
      break;
    case '<i4':
      data = new Int32Array(copy(4));
      break;
    case '<i8':
      data = new BigInt64Array(copy(8));
      break;
    default:
      throw new Error(`${path}: dtype ${descr} not supported`);
  }
  return { dtype: descr, shape, data };
}

/** Float32 view of a numeric .npy (converting other dtypes). */
export function readNpyF32(path: string): { shape: number[]; data: Float32Array } {
  const n = readNpy(path);
  if (n.data instanceof Float32Array) return { shape: n.shape, data: n.data };
  if (n.data instanceof BigInt64Array) return { shape: n.shape, data: Float32Array.from(n.data, (v) => Number(v)) };
  return { shape: n.shape, data: Float32Array.from(n.data as ArrayLike<number>) };
}
