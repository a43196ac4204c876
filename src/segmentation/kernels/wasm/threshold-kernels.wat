;; The threshold chain's full-resolution passes over a 16-bit channel (threshold-wasm.ts): the value histogram
;; and its distinct values (Otsu / percentile, threshold/histogram.ts), the comparison `v > t` packed 32 voxels per
;; word (bitmask.ts `thresholdToBits`), the closing with the face-neighbour cross (bitmask.ts `closeBits`) and the
;; runs of the packed rows (bitmask.ts `findBitRuns`: labelling, small objects and holes). In JavaScript each ran
;; once to a few times per process, mostly before V8 had optimised it (a cold 2048² run: ≈ 35 ms of the main
;; thread for the first three, ≈ 20 ms for the runs, CPU profile); WebAssembly is compiled before it runs. Integer work only: the results are
;; the same bits as the JavaScript kernels (test/segmentation-threshold-wasm.test.ts).
;; Pointers are byte offsets into the exported memory, which the caller lays out and grows.
;; Build: node scripts/build-threshold-wasm.mjs (needs the `wabt` npm package; output committed).
(module
  (memory (export "memory") 1)

  ;; bins[v] += 1 (u32 at $bins, 65536 bins) for each of the $n u16 values at $data.
  (func $hist16 (export "hist16") (param $data i32) (param $n i32) (param $bins i32)
    (local $p i32) (local $end i32) (local $a i32)
    (local.set $p (local.get $data))
    (local.set $end (i32.add (local.get $data) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (loop $px
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (i32.add (local.get $bins) (i32.shl (i32.load16_u (local.get $p)) (i32.const 2))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br $px))))

  ;; $nRows rows of $X u16 values (row r at $data + 2·r·$X) → bit rows of $WX i32 words (row r at $out + 4·r·$WX):
  ;; bit b of word k = (value at x = 32k + b) > $ti; padding bits 0. $ti must be in [0, 65534] (the unsigned lane
  ;; comparison); the caller handles the rest.
  (func $bits16 (export "bits16") (param $data i32) (param $nRows i32) (param $X i32) (param $WX i32) (param $ti i32) (param $out i32)
    (local $r i32) (local $src i32) (local $dst i32) (local $k i32) (local $full i32) (local $rest i32)
    (local $w i32) (local $b i32) (local $t v128)
    (local.set $t (i16x8.splat (local.get $ti)))
    (local.set $full (i32.shr_u (local.get $X) (i32.const 5)))
    (local.set $rest (i32.and (local.get $X) (i32.const 31)))
    (block $rdone
      (loop $rows
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $nRows)))
        (local.set $src (i32.add (local.get $data) (i32.shl (i32.mul (local.get $r) (local.get $X)) (i32.const 1))))
        (local.set $dst (i32.add (local.get $out) (i32.shl (i32.mul (local.get $r) (local.get $WX)) (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $kdone
          (loop $words
            (br_if $kdone (i32.ge_u (local.get $k) (local.get $full)))
            ;; lanes are voxels in order (little-endian loads); narrowing keeps the order, bitmask takes lane i to bit i
            (i32.store (local.get $dst)
              (i32.or
                (i8x16.bitmask (i8x16.narrow_i16x8_s
                  (i16x8.gt_u (v128.load align=1 (local.get $src)) (local.get $t))
                  (i16x8.gt_u (v128.load offset=16 align=1 (local.get $src)) (local.get $t))))
                (i32.shl
                  (i8x16.bitmask (i8x16.narrow_i16x8_s
                    (i16x8.gt_u (v128.load offset=32 align=1 (local.get $src)) (local.get $t))
                    (i16x8.gt_u (v128.load offset=48 align=1 (local.get $src)) (local.get $t))))
                  (i32.const 16))))
            (local.set $src (i32.add (local.get $src) (i32.const 64)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $words)))
        (if (local.get $rest)
          (then
            (local.set $w (i32.const 0))
            (local.set $b (i32.const 0))
            (block $bdone
              (loop $bits
                (br_if $bdone (i32.ge_u (local.get $b) (local.get $rest)))
                (local.set $w (i32.or (local.get $w)
                  (i32.shl
                    (i32.shr_u (i32.sub (local.get $ti) (i32.load16_u (i32.add (local.get $src) (i32.shl (local.get $b) (i32.const 1)))))
                      (i32.const 31))
                    (local.get $b))))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $bits)))
            (i32.store (local.get $dst) (local.get $w))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; One row of the dilation by the face-neighbour cross (outside = 0): $WX words at $row → $to; $up … $back are
  ;; the neighbour rows (a row of zeros where there is none). The last word keeps only $lastMask.
  (func $dilateRow (param $row i32) (param $to i32) (param $up i32) (param $down i32) (param $front i32) (param $back i32)
      (param $WX i32) (param $lastMask i32)
    (local $k i32) (local $prev i32) (local $w i32) (local $next i32) (local $o i32)
    (local.set $w (i32.load (local.get $row)))
    (block $done
      (loop $words
        (br_if $done (i32.ge_u (local.get $k) (local.get $WX)))
        (local.set $o (i32.shl (local.get $k) (i32.const 2)))
        (if (i32.lt_u (i32.add (local.get $k) (i32.const 1)) (local.get $WX))
          (then (local.set $next (i32.load offset=4 (i32.add (local.get $row) (local.get $o)))))
          (else (local.set $next (i32.const 0))))
        (i32.store (i32.add (local.get $to) (local.get $o))
          (i32.or
            (i32.or
              (i32.or (i32.or (local.get $w) (i32.shl (local.get $w) (i32.const 1)))
                (i32.or (i32.shr_u (local.get $prev) (i32.const 31)) (i32.shr_u (local.get $w) (i32.const 1))))
              (i32.or (i32.shl (local.get $next) (i32.const 31)) (i32.load (i32.add (local.get $up) (local.get $o)))))
            (i32.or
              (i32.or (i32.load (i32.add (local.get $down) (local.get $o))) (i32.load (i32.add (local.get $front) (local.get $o))))
              (i32.load (i32.add (local.get $back) (local.get $o))))))
        (local.set $prev (local.get $w))
        (local.set $w (local.get $next))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $words)))
    (local.set $o (i32.add (local.get $to) (i32.shl (i32.sub (local.get $WX) (i32.const 1)) (i32.const 2))))
    (i32.store (local.get $o) (i32.and (i32.load (local.get $o)) (local.get $lastMask))))

  ;; One row of the erosion by the cross (outside = set): $WX words at $row → $to; $up … $back as above (a row of
  ;; ones where there is none). Outside the row counts as set: the previous word of the first and the next of the
  ;; last are all ones, and the last word's padding bits read as ones for its own right neighbours.
  (func $erodeRow (param $row i32) (param $to i32) (param $up i32) (param $down i32) (param $front i32) (param $back i32)
      (param $WX i32) (param $lastMask i32)
    (local $k i32) (local $prev i32) (local $w i32) (local $next i32) (local $wr i32) (local $o i32) (local $e i32)
    (local $last i32)
    (local.set $prev (i32.const -1))
    (local.set $w (i32.load (local.get $row)))
    (block $done
      (loop $words
        (br_if $done (i32.ge_u (local.get $k) (local.get $WX)))
        (local.set $o (i32.shl (local.get $k) (i32.const 2)))
        (local.set $last (i32.eq (i32.add (local.get $k) (i32.const 1)) (local.get $WX)))
        (if (local.get $last)
          (then
            (local.set $next (i32.const -1))
            (local.set $wr (i32.or (local.get $w) (i32.xor (local.get $lastMask) (i32.const -1)))))
          (else
            (local.set $next (i32.load offset=4 (i32.add (local.get $row) (local.get $o))))
            (local.set $wr (local.get $w))))
        (local.set $e
          (i32.and
            (i32.and
              (i32.and (local.get $w)
                (i32.or (i32.shl (local.get $w) (i32.const 1)) (i32.shr_u (local.get $prev) (i32.const 31))))
              (i32.and
                (i32.or (i32.shr_u (local.get $wr) (i32.const 1)) (i32.shl (local.get $next) (i32.const 31)))
                (i32.load (i32.add (local.get $up) (local.get $o)))))
            (i32.and
              (i32.and (i32.load (i32.add (local.get $down) (local.get $o))) (i32.load (i32.add (local.get $front) (local.get $o))))
              (i32.load (i32.add (local.get $back) (local.get $o))))))
        (if (local.get $last) (then (local.set $e (i32.and (local.get $e) (local.get $lastMask)))))
        (i32.store (i32.add (local.get $to) (local.get $o)) (local.get $e))
        (local.set $prev (local.get $w))
        (local.set $w (local.get $next))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $words))))

  ;; skimage binary_closing(mask, disk(1) | ball(1)) of the packed mask at $bits (rows z·Y + y of $WX words), in
  ;; place; $tmp: the same size; $zeros / $ones: one row of 0 / -1 words (the missing neighbours).
  (func $close (export "close") (param $bits i32) (param $tmp i32) (param $Z i32) (param $Y i32) (param $WX i32)
      (param $lastMask i32) (param $zeros i32) (param $ones i32)
    (local $z i32) (local $y i32) (local $rowB i32) (local $P i32) (local $base i32)
    (local.set $rowB (i32.shl (local.get $WX) (i32.const 2)))
    (local.set $P (i32.mul (local.get $Y) (local.get $rowB)))
    ;; dilation: bits → tmp
    (local.set $z (i32.const 0))
    (block $zd
      (loop $zl
        (br_if $zd (i32.ge_u (local.get $z) (local.get $Z)))
        (local.set $y (i32.const 0))
        (block $yd
          (loop $yl
            (br_if $yd (i32.ge_u (local.get $y) (local.get $Y)))
            (local.set $base (i32.add (i32.mul (local.get $z) (local.get $P)) (i32.mul (local.get $y) (local.get $rowB))))
            (call $dilateRow
              (i32.add (local.get $bits) (local.get $base))
              (i32.add (local.get $tmp) (local.get $base))
              (select (i32.sub (i32.add (local.get $bits) (local.get $base)) (local.get $rowB)) (local.get $zeros) (i32.gt_u (local.get $y) (i32.const 0)))
              (select (i32.add (i32.add (local.get $bits) (local.get $base)) (local.get $rowB)) (local.get $zeros)
                (i32.lt_u (i32.add (local.get $y) (i32.const 1)) (local.get $Y)))
              (select (i32.sub (i32.add (local.get $bits) (local.get $base)) (local.get $P)) (local.get $zeros) (i32.gt_u (local.get $z) (i32.const 0)))
              (select (i32.add (i32.add (local.get $bits) (local.get $base)) (local.get $P)) (local.get $zeros)
                (i32.lt_u (i32.add (local.get $z) (i32.const 1)) (local.get $Z)))
              (local.get $WX) (local.get $lastMask))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $yl)))
        (local.set $z (i32.add (local.get $z) (i32.const 1)))
        (br $zl)))
    ;; erosion: tmp → bits
    (local.set $z (i32.const 0))
    (block $ze
      (loop $zl2
        (br_if $ze (i32.ge_u (local.get $z) (local.get $Z)))
        (local.set $y (i32.const 0))
        (block $ye
          (loop $yl2
            (br_if $ye (i32.ge_u (local.get $y) (local.get $Y)))
            (local.set $base (i32.add (i32.mul (local.get $z) (local.get $P)) (i32.mul (local.get $y) (local.get $rowB))))
            (call $erodeRow
              (i32.add (local.get $tmp) (local.get $base))
              (i32.add (local.get $bits) (local.get $base))
              (select (i32.sub (i32.add (local.get $tmp) (local.get $base)) (local.get $rowB)) (local.get $ones) (i32.gt_u (local.get $y) (i32.const 0)))
              (select (i32.add (i32.add (local.get $tmp) (local.get $base)) (local.get $rowB)) (local.get $ones)
                (i32.lt_u (i32.add (local.get $y) (i32.const 1)) (local.get $Y)))
              (select (i32.sub (i32.add (local.get $tmp) (local.get $base)) (local.get $P)) (local.get $ones) (i32.gt_u (local.get $z) (i32.const 0)))
              (select (i32.add (i32.add (local.get $tmp) (local.get $base)) (local.get $P)) (local.get $ones)
                (i32.lt_u (i32.add (local.get $z) (i32.const 1)) (local.get $Z)))
              (local.get $WX) (local.get $lastMask))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $yl2)))
        (local.set $z (i32.add (local.get $z) (i32.const 1)))
        (br $zl2))))

  ;; Transitions of the rows of a packed mask (bitmask.ts `findBitRuns`): row r's $WX words at $bits + 4·r·$WX,
  ;; xor $invert (-1: runs of zeros), the last word masked with $lastMask, and a virtual zero word after the row
  ;; (a run reaching the row's end closes there). A transition is a bit of w ^ (w << 1 | carry). The word after the
;; row is read but not used (the caller leaves room after the mask): a select instead of a call or a branch per word.
  ;; The number of transitions of $rows rows (twice the number of runs).
  (func $countTrans (export "countTrans") (param $bits i32) (param $rows i32) (param $WX i32) (param $lastMask i32) (param $invert i32)
      (result i32)
    (local $r i32) (local $k i32) (local $row i32) (local $w i32) (local $carry i32) (local $total i32)
    (block $rdone
      (loop $rl
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.add (local.get $bits) (i32.shl (i32.mul (local.get $r) (local.get $WX)) (i32.const 2))))
        (local.set $carry (i32.const 0))
        (local.set $k (i32.const 0))
        (block $kdone
          (loop $kl
            (br_if $kdone (i32.gt_u (local.get $k) (local.get $WX)))
            (local.set $w (select
              (i32.and (i32.xor (i32.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2)))) (local.get $invert))
                (select (local.get $lastMask) (i32.const -1) (i32.eq (i32.add (local.get $k) (i32.const 1)) (local.get $WX))))
              (i32.const 0)
              (i32.lt_u (local.get $k) (local.get $WX))))
            (local.set $total (i32.add (local.get $total)
              (i32.popcnt (i32.xor (local.get $w) (i32.or (i32.shl (local.get $w) (i32.const 1)) (local.get $carry))))))
            (local.set $carry (i32.shr_u (local.get $w) (i32.const 31)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))
    (local.get $total))

  ;; The runs themselves: rowStart[r] (i32 at $rowStart) = index of row r's first run, x0 / x1 (i32 at $x0 / $x1) =
  ;; each run's first x and end (exclusive), rows ascending, x ascending.
  (func $recordTrans (export "recordTrans") (param $bits i32) (param $rows i32) (param $WX i32) (param $lastMask i32) (param $invert i32)
      (param $rowStart i32) (param $x0 i32) (param $x1 i32)
    (local $r i32) (local $k i32) (local $row i32) (local $w i32) (local $carry i32) (local $t i32) (local $e i32) (local $pos i32)
    (block $rdone
      (loop $rl
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (i32.store (i32.add (local.get $rowStart) (i32.shl (local.get $r) (i32.const 2))) (i32.shr_u (local.get $e) (i32.const 1)))
        (local.set $row (i32.add (local.get $bits) (i32.shl (i32.mul (local.get $r) (local.get $WX)) (i32.const 2))))
        (local.set $carry (i32.const 0))
        (local.set $k (i32.const 0))
        (block $kdone
          (loop $kl
            (br_if $kdone (i32.gt_u (local.get $k) (local.get $WX)))
            (local.set $w (select
              (i32.and (i32.xor (i32.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2)))) (local.get $invert))
                (select (local.get $lastMask) (i32.const -1) (i32.eq (i32.add (local.get $k) (i32.const 1)) (local.get $WX))))
              (i32.const 0)
              (i32.lt_u (local.get $k) (local.get $WX))))
            (local.set $t (i32.xor (local.get $w) (i32.or (i32.shl (local.get $w) (i32.const 1)) (local.get $carry))))
            (local.set $carry (i32.shr_u (local.get $w) (i32.const 31)))
            (block $tdone
              (loop $tl
                (br_if $tdone (i32.eqz (local.get $t)))
                (local.set $pos (i32.add (i32.shl (local.get $k) (i32.const 5)) (i32.ctz (local.get $t))))
                (local.set $t (i32.and (local.get $t) (i32.sub (local.get $t) (i32.const 1))))
                (i32.store
                  (i32.add (select (local.get $x1) (local.get $x0) (i32.and (local.get $e) (i32.const 1)))
                    (i32.shl (i32.shr_u (local.get $e) (i32.const 1)) (i32.const 2)))
                  (local.get $pos))
                (local.set $e (i32.add (local.get $e) (i32.const 1)))
                (br $tl)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))
    (i32.store (i32.add (local.get $rowStart) (i32.shl (local.get $rows) (i32.const 2))) (i32.shr_u (local.get $e) (i32.const 1))))

  ;; Distinct non-zero bins of the histogram at $bins (u32) in [$from, $to): their index minus $offset (i32 at
  ;; $values) and count (f64 at $counts), ascending; returns how many.
  (func $distinct (export "distinct") (param $bins i32) (param $from i32) (param $to i32) (param $offset i32) (param $values i32)
      (param $counts i32) (result i32)
    (local $b i32) (local $c i32) (local $n i32)
    (local.set $b (local.get $from))
    (block $done
      (loop $bl
        (br_if $done (i32.ge_u (local.get $b) (local.get $to)))
        (local.set $c (i32.load (i32.add (local.get $bins) (i32.shl (local.get $b) (i32.const 2)))))
        (if (local.get $c)
          (then
            (i32.store (i32.add (local.get $values) (i32.shl (local.get $n) (i32.const 2))) (i32.sub (local.get $b) (local.get $offset)))
            (f64.store (i32.add (local.get $counts) (i32.shl (local.get $n) (i32.const 3))) (f64.convert_i32_u (local.get $c)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
    (local.get $n))
)
