/**
 * Reads the `metadata_props` of an ONNX file (ModelProto field 14, repeated `StringStringEntryProto
 * {key = 1, value = 2}`) without loading the graph: onnxruntime's JavaScript API does not expose custom
 * metadata, and a Cellpose-SAM file is ~1.2 GB, so the top-level protobuf fields are walked with small
 * positioned reads and the large ones (the graph, field 7) are skipped by their length prefix.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inputError } from '../../../core/errors.js';

const METADATA_PROPS = 14;

class FileCursor {
  private buf = Buffer.alloc(64);
  pos = 0;
  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly path: string,
  ) {}

  byte(): number {
    if (this.pos >= this.size) throw inputError(`${this.path}: truncated ONNX protobuf at byte ${this.pos}`);
    readSync(this.fd, this.buf, 0, 1, this.pos);
    this.pos++;
    return this.buf[0];
  }

  /** Protobuf varint (little-endian base-128); lengths here stay below 2^53. */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw inputError(`${this.path}: malformed varint in ONNX protobuf at byte ${this.pos}`);
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.size) throw inputError(`${this.path}: truncated ONNX protobuf (field of ${n} bytes at byte ${this.pos})`);
    const out = Buffer.alloc(n);
    if (n > 0) readSync(this.fd, out, 0, n, this.pos);
    this.pos += n;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2: {
        const n = this.varint(); // read first: `this.pos += this.varint()` would use the pre-varint position
        this.pos += n;
        return;
      }
      case 5:
        this.pos += 4;
        return;
      default:
        throw inputError(`${this.path}: not an ONNX model (protobuf wire type ${wireType} at byte ${this.pos})`);
    }
  }
}

/** Decodes one `StringStringEntryProto` message. */
function parseEntry(msg: Buffer): [string, string] {
  let key = '';
  let value = '';
  let i = 0;
  const varint = (): number => {
    let r = 0;
    let mul = 1;
    for (;;) {
      const b = msg[i++];
      r += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return r;
      mul *= 128;
    }
  };
  while (i < msg.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wt = tag & 7;
    if (wt === 2) {
      const n = varint();
      const s = msg.toString('utf8', i, i + n);
      i += n;
      if (field === 1) key = s;
      else if (field === 2) value = s;
    } else if (wt === 0) varint();
    else if (wt === 1) i += 8;
    else if (wt === 5) i += 4;
    else break;
  }
  return [key, value];
}

/** `metadata_props` of the ONNX model at `path` as a key → value map (empty when the file has none). */
export function readOnnxMetadata(path: string): Map<string, string> {
  const fd = openSync(path, 'r');
  try {
    const cur = new FileCursor(fd, fstatSync(fd).size, path);
    const props = new Map<string, string>();
    while (cur.pos < cur.size) {
      const tag = cur.varint();
      const field = Math.floor(tag / 8);
      const wt = tag & 7;
      if (field === METADATA_PROPS && wt === 2) {
        const [k, v] = parseEntry(cur.bytes(cur.varint()));
        props.set(k, v);
      } else {
        cur.skip(wt);
      }
    }
    if (cur.pos !== cur.size) throw inputError(`${path}: truncated ONNX protobuf (last field ends past the file end)`);
    return props;
  } finally {
    closeSync(fd);
  }
}
