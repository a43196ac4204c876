#!/usr/bin/env python3
"""
Writes the blosc frame fixtures of test/fixtures/zarr/blosc-frames/ with Debian's numcodecs 0.11 (c-blosc 1.21.3) —
an independent writer for the TypeScript blosc frame decoder (src/io/zarr/blosc-frame.ts, issue 20 speed).

Usage (Debian 12/13): apt-get install -y python3-numcodecs
                      /usr/bin/python3 scripts/make_blosc_frames.py

Every frame encodes the same deterministic bytes (`payload(n)` below; test/io-zarr-blosc-frame.test.ts computes
them with the same formula), so the expected output comes from the formula, not from any decoder. frames.json
lists each frame with its codec settings and the header flags c-blosc wrote.
"""
import json
import os

import numcodecs
import numcodecs.blosc
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'zarr', 'blosc-frames')


def payload(n):
    # Smooth ramps with a little structure: compressible, not trivially so. Byte k (0-based).
    return bytes(((k * 7) // 3 + ((k >> 9) * 13) + ((k * k) >> 13)) & 0xFF for k in range(n))


CASES = [
    # name, cname, clevel, shuffle, typesize, nbytes, blocksize (0 = c-blosc's choice), split mode (c-blosc's
    # BLOSC_SPLITMODE: ALWAYS = one stream per byte of the element, as c-blosc writes zlib and blosclz frames
    # by default and zstd frames with that setting)
    ('zstd_shuffle_u16', 'zstd', 5, numcodecs.Blosc.SHUFFLE, 2, 40000, 0, 'AUTO'),
    ('zstd_noshuffle_u16', 'zstd', 3, numcodecs.Blosc.NOSHUFFLE, 2, 40000, 0, 'AUTO'),
    ('zstd_shuffle_u16_split', 'zstd', 5, numcodecs.Blosc.SHUFFLE, 2, 40000, 0, 'ALWAYS'),
    ('zstd_shuffle_u16_blocks_leftover_split', 'zstd', 5, numcodecs.Blosc.SHUFFLE, 2, 100000, 16384, 'ALWAYS'),
    ('zstd_shuffle_u16_blocks_leftover', 'zstd', 5, numcodecs.Blosc.SHUFFLE, 2, 50002, 16384, 'AUTO'),
    ('zstd_shuffle_u32', 'zstd', 5, numcodecs.Blosc.SHUFFLE, 4, 32768, 0, 'ALWAYS'),
    ('zstd_shuffle_t8', 'zstd', 5, numcodecs.Blosc.SHUFFLE, 8, 40000, 0, 'AUTO'),
    ('zstd_shuffle_t3', 'zstd', 5, numcodecs.Blosc.SHUFFLE, 3, 30000, 4096, 'ALWAYS'),
    ('zlib_shuffle_u16_blocks', 'zlib', 5, numcodecs.Blosc.SHUFFLE, 2, 50000, 16384, 'AUTO'),
    ('zstd_clevel0_memcpyed', 'zstd', 0, numcodecs.Blosc.SHUFFLE, 2, 5000, 0, 'AUTO'),
    ('zstd_bitshuffle_u16', 'zstd', 5, numcodecs.Blosc.BITSHUFFLE, 2, 20000, 0, 'AUTO'),
    ('lz4_shuffle_u16', 'lz4', 5, numcodecs.Blosc.SHUFFLE, 2, 20000, 0, 'AUTO'),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    listing = []
    numcodecs.blosc.use_threads = True  # the global-context path, which reads BLOSC_SPLITMODE
    for name, cname, clevel, shuffle, typesize, nbytes, blocksize, split in CASES:
        os.environ['BLOSC_SPLITMODE'] = split
        codec = numcodecs.Blosc(cname=cname, clevel=clevel, shuffle=shuffle, blocksize=blocksize)
        # numcodecs takes the element size from the buffer: give it an array of `typesize`-byte void elements
        data = payload(nbytes)
        arr = np.frombuffer(data, dtype=f'V{typesize}')
        frame = codec.encode(arr)
        with open(os.path.join(OUT, name + '.blosc'), 'wb') as f:
            f.write(frame)
        assert numcodecs.Blosc().decode(frame) == data
        listing.append({'name': name, 'cname': cname, 'clevel': clevel, 'shuffle': shuffle, 'typesize': frame[3],
                        'nbytes': nbytes, 'blocksize': int.from_bytes(frame[8:12], 'little'), 'split': split, 'flags': frame[2],
                        'bytes': len(frame)})
    with open(os.path.join(OUT, 'frames.json'), 'w') as f:
        json.dump(listing, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
