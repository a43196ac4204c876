/**
 * Issue 15, point 1: the TIFF reader refuses, fast, what it cannot read. Every reproducer of the issue is a
 * regression test here (crafted byte by byte with test/helpers/tiff-craft.ts), plus our bounded LZW decoder
 * against libtiff-written LZW (test/data/tiff-lzw, made by scripts/make_lzw_tiffs.py with tiffcp).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/fixtures.js';
import { openImageStack } from '../src/io/image-stack.js';
import { decodeLzw, decodePackBits, CodecError } from '../src/io/tiff-codecs.js';
import { craftTiff, greyPage, LONG, SHORT } from './helpers/tiff-craft.js';

const LZW_DIR = join(REPO_ROOT, 'test', 'data', 'tiff-lzw');
const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-hostile-'));
const write = (name: string, bytes: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

/** Opens and reads every channel; resolves to the error (or null), and how long it took. */
async function readAll(path: string): Promise<{ err: any; ms: number }> {
  const t0 = performance.now();
  try {
    const s = await openImageStack(path);
    for (let c = 0; c < s.rawShapeTzcyx[2]; c++) await s.readChannel(c, 0);
    return { err: null, ms: performance.now() - t0 };
  } catch (err) {
    return { err, ms: performance.now() - t0 };
  }
}

/** One-line InputError naming the file and matching `what`, well within `maxMs` (a hang guard, not a benchmark). */
async function refuses(path: string, what: RegExp, maxMs = 5000): Promise<string> {
  const { err, ms } = await readAll(path);
  assert.ok(err, `${path} was accepted`);
  assert.equal(err._tag, 'InputError', String(err?.stack ?? err));
  assert.ok(err.message.startsWith(path + ':'), err.message);
  assert.ok(!err.message.includes('\n'), err.message);
  assert.match(err.message, what);
  assert.ok(ms < maxMs, `took ${ms.toFixed(0)} ms`);
  return err.message;
}

test('libtiff-written LZW (tiffcp, 20-row strips, table clears, predictor 2): every pixel equals the numpy reference', async () => {
  const meta = JSON.parse(readFileSync(join(LZW_DIR, 'expected.json'), 'utf8')) as Record<string, { shape: number[]; dtype: string; raw: string }>;
  assert.equal(Object.keys(meta).length, 3);
  for (const [name, m] of Object.entries(meta)) {
    const stack = await openImageStack(join(LZW_DIR, name));
    assert.deepEqual(stack.rawShapeTzcyx, [1, 1, 1, ...m.shape]);
    const v = await stack.readChannel(0, 0);
    const raw = readFileSync(join(LZW_DIR, m.raw));
    const want = m.dtype === 'uint8' ? new Uint8Array(raw) : new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
    assert.equal(v.data.length, want.length);
    let diff = 0;
    for (let i = 0; i < want.length; i++) if (v.data[i] !== want[i]) diff++;
    assert.equal(diff, 0, `${name}: ${diff} pixels differ`);
  }
});

test('bounded LZW: output never exceeds the buffer; garbage is a CodecError or a short count, never a blow-up', () => {
  // A libtiff strip decoded into a buffer smaller than the strip: stops exactly at the buffer.
  const tif = readFileSync(join(LZW_DIR, 'lzw_u8.tif'));
  const small = new Uint8Array(100);
  // The first strip starts at byte 8 in tiffcp's layout; any prefix of a valid stream decodes cleanly.
  const n = decodeLzw(tif.subarray(8, 2000), small);
  assert.equal(n, 100);
  // Deflate data labelled LZW (the V8-abort reproducer): bounded whatever happens.
  const deflated = deflateSync(Buffer.alloc(1 << 16, 7));
  const out = new Uint8Array(1 << 16);
  try {
    assert.ok(decodeLzw(deflated, out) <= out.length);
  } catch (e) {
    assert.ok(e instanceof CodecError, String(e));
  }
  // Pseudo-random garbage: many seeds, every one bounded.
  let s = 12345;
  for (let k = 0; k < 200; k++) {
    const g = new Uint8Array(64 + (k % 50) * 13);
    for (let i = 0; i < g.length; i++) g[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    const o = new Uint8Array(4096);
    try {
      assert.ok(decodeLzw(g, o) <= o.length);
    } catch (e) {
      assert.ok(e instanceof CodecError, String(e));
    }
  }
  // PackBits: a run longer than the buffer is clipped.
  const pb = new Uint8Array(10);
  assert.equal(decodePackBits(Uint8Array.of(0x81, 9, 0x81, 9), pb), 10);
  assert.deepEqual([...pb], new Array(10).fill(9));
});

test('reproducer: a page chain that loops (next-IFD offset pointing back) is refused at once, naming the loop', async () => {
  const pix = new Uint8Array(16).fill(3);
  const pages = [0, 1, 2].map(() => greyPage({ width: 4, height: 4, data: pix }));
  pages[2].nextPage = 0;
  const p = write('loop.tif', craftTiff(pages));
  await refuses(p, /page chain loops .* page 0/, 2000);
  const self = greyPage({ width: 4, height: 4, data: pix });
  self.nextPage = 0;
  await refuses(write('selfloop.tif', craftTiff([self])), /page chain loops/, 2000);
});

test('reproducer: SamplesPerPixel = 2^31 and absurd dimensions are refused before any allocation', async () => {
  const data = new Uint8Array(16);
  await refuses(write('spp.tif', craftTiff([greyPage({ width: 4, height: 4, data, samplesPerPixel: 2 ** 31 })])), /page 0: SamplesPerPixel = 2147483648/);
  await refuses(
    write('dims.tif', craftTiff([greyPage({ width: 131071, height: 131071, data })])),
    /page 0: 131071 × 131071 = \d+ pixels in one plane/,
  );
  await refuses(write('zero.tif', craftTiff([greyPage({ width: 0, height: 4, data })])), /ImageWidth × ImageLength = 0 × 4/);
  await refuses(write('bits.tif', craftTiff([greyPage({ width: 4, height: 4, data, bits: 200 })])), /BitsPerSample = 200/);
  await refuses(write('rps0.tif', craftTiff([greyPage({ width: 4, height: 4, data, rowsPerStrip: 0 })])), /RowsPerStrip = 0/);
  await refuses(write('comp.tif', craftTiff([greyPage({ width: 4, height: 4, data, compression: 4242 })])), /Compression = 4242 is not supported/);
});

test('reproducer: a 130-byte TIFF declaring 20000 × 20000 with an empty strip is refused in milliseconds', async () => {
  const p = write('huge-empty.tif', craftTiff([greyPage({ width: 20000, height: 20000, data: new Uint8Array(0), byteCount: 0 })]));
  assert.ok(readFileSync(p).length < 200);
  await refuses(p, /page 0 declares 20000 × 20000 pixels \(400000000 bytes\) but its 1 strip hold 0 bytes/, 1000);
  // Uncompressed data shorter than declared, and deflate data that cannot expand that far.
  await refuses(write('short.tif', craftTiff([greyPage({ width: 64, height: 64, data: new Uint8Array(100) })])), /hold 100 bytes \(uncompressed\)/);
  const z = deflateSync(Buffer.alloc(64));
  await refuses(
    write('ratio.tif', craftTiff([greyPage({ width: 20000, height: 20000, data: z, compression: 8 })])),
    /more than deflate can expand to/,
    1000,
  );
});

test('reproducer: a float-predictor strip declaring 1,048,576 rows is refused at once', async () => {
  const z = deflateSync(Buffer.alloc(4 * 16 * 4));
  const p = write('fpred-tall.tif', craftTiff([greyPage({ width: 16, height: 1 << 20, data: z, compression: 8, predictor: 3, bits: 32, sampleFormat: 3 })]));
  await refuses(p, /page 0 declares 16 × 1048576 pixels/, 1000);
});

test('reproducer: deflate data under an LZW Compression tag → one clean error, no stderr noise, no blow-up', async () => {
  const z = deflateSync(Buffer.from(Array.from({ length: 64 * 64 }, (_, i) => (i * 31) & 255)));
  const p = write('lzw-lie.tif', craftTiff([greyPage({ width: 64, height: 64, data: z, compression: 5 })]));
  const writes: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  (process.stderr as any).write = (s: string) => (writes.push(String(s)), true);
  const warn = console.warn;
  console.warn = (...a: unknown[]) => writes.push(a.join(' '));
  try {
    await refuses(p, /LZW|decodes to|page 0/);
  } finally {
    (process.stderr as any).write = orig;
    console.warn = warn;
  }
  assert.deepEqual(writes, []);
});

test('reproducer: a ZSTD strip of garbage is one clean error naming file and page (no unhandled rejection)', async () => {
  const junk = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 77 + 5) & 255));
  const p = write('zstd.tif', craftTiff([greyPage({ width: 8, height: 8, data: junk, compression: 50000 })]));
  let unhandled: unknown = null;
  const on = (e: unknown) => (unhandled = e);
  process.on('unhandledRejection', on);
  try {
    await refuses(p, /page 0/);
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('unhandledRejection', on);
  }
  assert.equal(unhandled, null);
});

test('reproducer: tag values past the end of the file, unknown field types and strip offsets beyond the file', async () => {
  const data = new Uint8Array(16);
  const bigCount = greyPage({ width: 4, height: 4, data, extra: [{ tag: 270, type: LONG, values: [1, 2] }] });
  // StripByteCounts claiming 2^30 LONG values (count patched below): geotiff would allocate 4 GiB.
  const buf = craftTiff([greyPage({ width: 4, height: 4, data })]);
  const ifd = buf.readUInt32LE(4);
  const n = buf.readUInt16LE(ifd);
  for (let i = 0; i < n; i++) if (buf.readUInt16LE(ifd + 2 + i * 12) === 279) buf.writeUInt32LE(2 ** 30, ifd + 2 + i * 12 + 4);
  await refuses(write('count.tif', buf), /tag 279 of page 0 .* ends past the end of the file/);
  const t = craftTiff([bigCount]);
  const ifd2 = t.readUInt32LE(4);
  for (let i = 0; i < t.readUInt16LE(ifd2); i++) if (t.readUInt16LE(ifd2 + 2 + i * 12) === 270) t.writeUInt16LE(99, ifd2 + 2 + i * 12 + 2);
  await refuses(write('type.tif', t), /tag 270 of page 0 has the unknown field type 99/);
  const off = greyPage({ width: 4, height: 4, data, extra: [{ tag: 273, type: LONG, values: [1e9] }] });
  off.dataOffsetTag = undefined;
  await refuses(write('offset.tif', craftTiff([off])), /strip 0 of page 0 ends at byte 1000000016/);
});

test('special files: a directory, a FIFO and /proc/self/mem name the file', async () => {
  const d = join(dir, 'adir.tif');
  mkdirSync(d);
  await refuses(d, /is a directory/);
  const { execFileSync } = await import('node:child_process');
  const fifo = join(dir, 'fifo.tif');
  execFileSync('mkfifo', [fifo]);
  await refuses(fifo, /not a regular file/, 2000);
  const { err } = await readAll('/proc/self/mem');
  assert.ok(err && err._tag === 'InputError' && err.message.startsWith('/proc/self/mem: '), String(err));
});

test('a channel larger than the machine\'s memory is one InputError, never "Invalid typed array length"', async () => {
  // 100 pages of 16384 × 16384 uint16, uncompressed, all strips on one (sparse) 512 MiB range: 50 GiB.
  const plane = 16384 * 16384 * 2;
  const pages = Array.from({ length: 100 }, () => {
    const pg = greyPage({ width: 16384, height: 16384, bits: 16, data: new Uint8Array(0), byteCount: plane });
    pg.entries = pg.entries.map((e) => (e.tag === 273 ? { ...e, values: [1 << 20] } : e));
    pg.dataOffsetTag = undefined;
    return pg;
  });
  const p = write('50gib.tif', craftTiff(pages));
  const { truncateSync } = await import('node:fs');
  truncateSync(p, (1 << 20) + plane); // sparse: no disk used
  const { err } = await readAll(p);
  assert.ok(err, 'accepted');
  assert.equal(err._tag, 'InputError', String(err?.stack ?? err));
  assert.ok(err.message.startsWith(p + ':'), err.message);
  assert.match(err.message, /100 × 16384 × 16384 uint16/);
  assert.doesNotMatch(err.message, /Invalid typed array length|allocation failed/);
});

void SHORT;
