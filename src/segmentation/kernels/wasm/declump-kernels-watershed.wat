;; Declumping kernels: the watershed of a plane (watershed.ts, watershed-distance.ts: the border test, the flooding
;; ranks of a distance map or of negated intensities, and the flood; wrappers in declump-wasm-merge.ts). Included by
;; declump-kernels.wat (one module, one memory).
;; Scratch of the merge helper's range (bytes 11272192 … 14024704 of the module memory, declump-kernels.wat's memory
;; map), here: GTAB 11296768 (f32 · 65536: the distance values g(k) of `distanceRanks`); KEYS 11558912, ORD 11821056,
;; KEYS2 12083200, ORD2 12345344 (i32 · 65536 each), COUNT 12607488 (i32 · 257) of `negatedFloatRanks`.
;; The flood's regions: mask in NEED (720896), ranks (i32) at 1310720, labels (u32) 1572864, NEXT in VALS (196608,
;; i32; the ranks' values are read before the flood, which overwrites them), HEAD 2097152, TAIL 2359296, neighbour
;; offsets NBR 12609536 (i32 · 8).

  ;; watershed.ts `maskBorderEmpty` of the mask in NEED: 1 when no voxel of the plane's first or last row or column
  ;; is in the mask and the plane is at least 3 × 3, else 0.
  (func (export "planeBorderEmpty") (param $Y i32) (param $X i32) (result i32)
    (local $i i32) (local $last i32)
    (if (i32.or (i32.lt_s (local.get $Y) (i32.const 3)) (i32.lt_s (local.get $X) (i32.const 3))) (then (return (i32.const 0))))
    (local.set $last (i32.mul (i32.sub (local.get $Y) (i32.const 1)) (local.get $X)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $i) (local.get $X)))
      (if (i32.or (i32.load8_u offset=720896 (local.get $i)) (i32.load8_u offset=720896 (i32.add (local.get $last) (local.get $i))))
        (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rl)))
    (local.set $i (local.get $X))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $i) (local.get $last)))
      (if (i32.or (i32.load8_u offset=720896 (local.get $i)) (i32.load8_u offset=720895 (i32.add (local.get $i) (local.get $X))))
        (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (local.get $X)))
      (br $cl)))
    (i32.const 1))

  ;; watershed.ts `integerRanks(image, mask, n, rank, negate = true)`: when every in-mask value of VALS is an integer
  ;; (finite, its own truncation) and their range is below n, the ranks max − v (into the flood's ranks: every voxel
  ;; is written, the flood reads those of the mask) and the number of ranks; 0 without an in-mask voxel; −1 otherwise.
  ;; Four voxels at a time: the lowest and highest in-mask values as f32 lanes (f32 min and max are exact, and the
  ;; sign of a zero bound changes neither the range nor a rank), the ranks hi − v in f64 (exact: integers within a
  ;; range below n), truncated to i32.
  (func (export "negatedIntegerRanks") (param $n i32) (result i32)
    (local $i i32) (local $m v128) (local $v v128) (local $lo4 v128) (local $hi4 v128) (local $hv v128)
    (local $s f32) (local $lo f32) (local $hi f32) (local $d f64)
    (local.set $lo4 (f32x4.splat (f32.const inf)))
    (local.set $hi4 (f32x4.splat (f32.const -inf)))
    (block $vd (loop $vl
      (br_if $vd (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (if (i32.load offset=720896 (local.get $i)) (then
        (local.set $m (i32x4.ne (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero offset=720896 (local.get $i))))
          (v128.const i32x4 0 0 0 0)))
        (local.set $v (v128.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
        (if (v128.any_true (v128.andnot (local.get $m)
          (v128.and (f32x4.eq (f32x4.trunc (local.get $v)) (local.get $v))
            (f32x4.eq (f32x4.sub (local.get $v) (local.get $v)) (v128.const f32x4 0 0 0 0)))))
          (then (return (i32.const -1))))
        (local.set $lo4 (v128.bitselect (f32x4.min (local.get $lo4) (local.get $v)) (local.get $lo4) (local.get $m)))
        (local.set $hi4 (v128.bitselect (f32x4.max (local.get $hi4) (local.get $v)) (local.get $hi4) (local.get $m)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vl)))
    (local.set $lo (f32.min (f32.min (f32x4.extract_lane 0 (local.get $lo4)) (f32x4.extract_lane 1 (local.get $lo4)))
      (f32.min (f32x4.extract_lane 2 (local.get $lo4)) (f32x4.extract_lane 3 (local.get $lo4)))))
    (local.set $hi (f32.max (f32.max (f32x4.extract_lane 0 (local.get $hi4)) (f32x4.extract_lane 1 (local.get $hi4)))
      (f32.max (f32x4.extract_lane 2 (local.get $hi4)) (f32x4.extract_lane 3 (local.get $hi4)))))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_s (local.get $i) (local.get $n)))
      (if (i32.load8_u offset=720896 (local.get $i)) (then
        (local.set $s (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
        (if (i32.eqz (i32.and (f32.eq (f32.trunc (local.get $s)) (local.get $s)) (f32.eq (f32.sub (local.get $s) (local.get $s)) (f32.const 0))))
          (then (return (i32.const -1))))
        (local.set $lo (f32.min (local.get $lo) (local.get $s)))
        (local.set $hi (f32.max (local.get $hi) (local.get $s)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sl)))
    (if (f32.eq (local.get $lo) (f32.const inf)) (then (return (i32.const 0))))
    (local.set $d (f64.sub (f64.promote_f32 (local.get $hi)) (f64.promote_f32 (local.get $lo))))
    (if (f64.ge (local.get $d) (f64.convert_i32_s (local.get $n))) (then (return (i32.const -1))))
    ;; ranks hi − v of every voxel, two lanes of f64 at a time (out-of-mask lanes saturate harmlessly)
    (local.set $hv (f64x2.splat (f64.promote_f32 (local.get $hi))))
    (local.set $i (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $v (v128.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
      (v128.store offset=1310720 (i32.shl (local.get $i) (i32.const 2))
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.sub (local.get $hv) (f64x2.promote_low_f32x4 (local.get $v))))
          (i32x4.trunc_sat_f64x2_s_zero (f64x2.sub (local.get $hv) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $rl)))
    (block $td (loop $tl
      (br_if $td (i32.ge_s (local.get $i) (local.get $n)))
      (i32.store offset=1310720 (i32.shl (local.get $i) (i32.const 2))
        (i32.trunc_sat_f64_s (f64.sub (f64.promote_f32 (local.get $hi)) (f64.promote_f32 (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tl)))
    (i32.trunc_f64_s (f64.add (local.get $d) (f64.const 1))))

  ;; watershed.ts `floodInteriorPlane`: the same queue, the same pops in the same order, the 8 neighbours in the
  ;; same order (in-mask voxels are all interior: no bounds tests), so the same labels. Voxels outside the mask are
  ;; first set to -1 in the labels (4 at a time), so that "label 0" alone means "in the mask and not flooded yet";
  ;; they are set back to 0 at the end (markers there are not queued and end as 0, as before). Returns 1, or 0 (the
  ;; labels partly changed) where a marker id is 0xffffffff, which would read as "outside the mask". Markers queued in raster order, voxels without one (label 0 or -1)
  ;; skipped four at a time. The flood's cost was its mispredicted branches (a second flood of the same box, with a
  ;; trained predictor, took 40 % less), so: the 8 neighbours tested at once into a bit set, and a push picks the
  ;; bucket's head or its tail's next link by `select` (the bench image's 15 `intensity` floods 0.57 → 0.45 ms, 22
  ;; `shape` floods 0.39 → 0.36 ms warm; `cur = min(cur, b)` by `select` made `shape` slower — it puts the rank load
  ;; on the pops' dependency chain — and stays a branch).
  (func (export "floodInteriorPlane") (param $u i32) (param $X i32) (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $lab i32) (local $c i32) (local $b i32) (local $m v128) (local $l v128)
    (local $bits i32) (local $bad v128) (local $badOne i32)
    (memory.fill (i32.const 2097152) (i32.const 255) (i32.shl (local.get $u) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $od (loop $ol
      (br_if $od (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $m (i32x4.eq (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero offset=720896 (local.get $i))))
        (v128.const i32x4 0 0 0 0)))
      (local.set $l (v128.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
      (local.set $bad (v128.or (local.get $bad) (i32x4.eq (local.get $l) (v128.const i32x4 -1 -1 -1 -1))))
      (v128.store offset=1572864 (i32.shl (local.get $i) (i32.const 2)) (v128.or (local.get $l) (local.get $m)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $ol)))
    (block $od2 (loop $ol2
      (br_if $od2 (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $badOne (i32.or (local.get $badOne)
        (i32.eq (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))) (i32.const -1))))
      (if (i32.eqz (i32.load8_u offset=720896 (local.get $i)))
        (then (i32.store offset=1572864 (i32.shl (local.get $i) (i32.const 2)) (i32.const -1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $ol2)))
    ;; a marker id 0xffffffff would read as "outside the mask": declined (0), the caller's JavaScript floods
    (if (i32.or (local.get $badOne) (v128.any_true (local.get $bad))) (then (return (i32.const 0))))
    (local.set $c (local.get $u)) ;; cur: the lowest rank that may hold a voxel
    (local.set $i (i32.const 0))
    (block $initDone (loop $init
      (block $zd (loop $zl
        (br_if $zd (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $l (v128.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
        (br_if $zd (v128.any_true (v128.andnot
          (v128.not (i32x4.eq (local.get $l) (v128.const i32x4 0 0 0 0)))
          (i32x4.eq (local.get $l) (v128.const i32x4 -1 -1 -1 -1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $zl)))
      (br_if $initDone (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $lab (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
      (if (i32.and (i32.ne (local.get $lab) (i32.const 0)) (i32.ne (local.get $lab) (i32.const -1))) (then
        (local.set $b (i32.load offset=1310720 (i32.shl (local.get $i) (i32.const 2))))
        (i32.store offset=196608 (i32.shl (local.get $i) (i32.const 2)) (i32.const -1))
        (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0))
          (then (i32.store offset=2097152 (i32.shl (local.get $b) (i32.const 2)) (local.get $i)))
          (else (i32.store offset=196608 (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)) (local.get $i))))
        (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $i))
        (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $init)))
    ;; the 8 neighbours' offsets in watershed.ts's order (NBR, i32 · 8)
    (i32.store offset=12609536 (i32.const 0) (i32.sub (i32.const -1) (local.get $X)))
    (i32.store offset=12609540 (i32.const 0) (i32.sub (i32.const 0) (local.get $X)))
    (i32.store offset=12609544 (i32.const 0) (i32.sub (i32.const 1) (local.get $X)))
    (i32.store offset=12609548 (i32.const 0) (i32.const -1))
    (i32.store offset=12609552 (i32.const 0) (i32.const 1))
    (i32.store offset=12609556 (i32.const 0) (i32.sub (local.get $X) (i32.const 1)))
    (i32.store offset=12609560 (i32.const 0) (local.get $X))
    (i32.store offset=12609564 (i32.const 0) (i32.add (local.get $X) (i32.const 1)))
    (block $flooded (loop $pop
      ;; while (cur < u && head[cur] < 0) cur++
      (block $found (loop $scan
        (br_if $found (i32.ge_s (local.get $c) (local.get $u)))
        (br_if $found (i32.ge_s (i32.load offset=2097152 (i32.shl (local.get $c) (i32.const 2))) (i32.const 0)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $scan)))
      (br_if $flooded (i32.eq (local.get $c) (local.get $u)))
      (local.set $i (i32.load offset=2097152 (i32.shl (local.get $c) (i32.const 2))))
      (i32.store offset=2097152 (i32.shl (local.get $c) (i32.const 2)) (i32.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
      (local.set $lab (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
      ;; Which neighbours are free (label 0), all 8 tested at once: bit k = neighbour k (the rows above and below:
      ;; lanes 0..2 of a 4-lane load; the row's own load holds i − 1 in lane 0 and i + 1 in lane 2). Taking one does
      ;; not change another's test (they are distinct voxels), so the pushes below, in bit order, are those of the 8
      ;; tests in a row, without a data-dependent branch per neighbour.
      (local.set $m (i32x4.eq (v128.load offset=1572860 (i32.shl (local.get $i) (i32.const 2))) (v128.const i32x4 0 0 0 0)))
      (local.set $bits (i32.or (i32.or
        (i32.and (i32x4.bitmask (i32x4.eq (v128.load offset=1572860 (i32.shl (i32.sub (local.get $i) (local.get $X)) (i32.const 2)))
          (v128.const i32x4 0 0 0 0))) (i32.const 7))
        (i32.or (i32.shl (i32.and (i32x4.bitmask (local.get $m)) (i32.const 1)) (i32.const 3))
          (i32.shl (i32.and (i32x4.bitmask (local.get $m)) (i32.const 4)) (i32.const 2))))
        (i32.shl (i32.and (i32x4.bitmask (i32x4.eq (v128.load offset=1572860 (i32.shl (i32.add (local.get $i) (local.get $X)) (i32.const 2)))
          (v128.const i32x4 0 0 0 0))) (i32.const 7)) (i32.const 5))))
      (block $pushed (loop $push
        (br_if $pushed (i32.eqz (local.get $bits)))
        (local.set $j (i32.add (local.get $i) (i32.load offset=12609536 (i32.shl (i32.ctz (local.get $bits)) (i32.const 2)))))
        (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
        (i32.store offset=1572864 (i32.shl (local.get $j) (i32.const 2)) (local.get $lab))
        (local.set $b (i32.load offset=1310720 (i32.shl (local.get $j) (i32.const 2))))
        (i32.store offset=196608 (i32.shl (local.get $j) (i32.const 2)) (i32.const -1))
        ;; the bucket's head (empty bucket) or its tail's next link, chosen without a branch
        (i32.store (select (i32.add (i32.const 2097152) (i32.shl (local.get $b) (i32.const 2)))
            (i32.add (i32.const 196608) (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)))
            (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0)))
          (local.get $j))
        (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $j))
        (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b))))
        (br $push)))
      (br $pop)))
    ;; outside the mask: 0 again
    (local.set $i (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $l (v128.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
      (v128.store offset=1572864 (i32.shl (local.get $i) (i32.const 2))
        (v128.andnot (local.get $l) (i32x4.eq (local.get $l) (v128.const i32x4 -1 -1 -1 -1))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $rl)))
    (block $rd2 (loop $rl2
      (br_if $rd2 (i32.ge_s (local.get $i) (local.get $n)))
      (if (i32.eq (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))) (i32.const -1))
        (then (i32.store offset=1572864 (i32.shl (local.get $i) (i32.const 2)) (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rl2)))
    (i32.const 1))

  ;; watershed-distance.ts `squaredDistanceRanks` of the distance map in VALS (in-mask voxels of NEED): k = the
  ;; nearest integer to v² / s² (f64 as there: (v · v) · inv, halves up as Math.round), accepted when k < B and the
  ;; table GTAB (f32 at 11296768: g(k) = fround(√(s² · k)), written by the caller) holds v at k; the ranks B − 1 − k
  ;; into the flood's ranks. Returns B, or −1 (ranks partly written) when some voxel's value is not g(k).
  (func (export "distanceRanks") (param $n i32) (param $B i32) (param $inv f64) (result i32)
    (local $i i32) (local $v f32) (local $x f64) (local $f f64) (local $k f64) (local $top i32) (local $ki i32)
    (local.set $top (i32.sub (local.get $B) (i32.const 1)))
    (block $done (loop $vl
      (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
      ;; four voxels outside the mask at a time
      (if (i32.and (i32.le_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)) (i32.eqz (i32.load offset=720896 (local.get $i)))) (then
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl)))
      (if (i32.load8_u offset=720896 (local.get $i)) (then
        (local.set $v (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
        (local.set $x (f64.mul (f64.mul (f64.promote_f32 (local.get $v)) (f64.promote_f32 (local.get $v))) (local.get $inv)))
        (local.set $f (f64.floor (local.get $x)))
        (local.set $k (select (f64.add (local.get $f) (f64.const 1)) (local.get $f) (f64.ge (f64.sub (local.get $x) (local.get $f)) (f64.const 0.5))))
        (if (i32.eqz (f64.le (local.get $k) (f64.convert_i32_s (local.get $top)))) (then (return (i32.const -1))))
        (local.set $ki (i32.trunc_f64_s (local.get $k)))
        (if (f32.ne (f32.load offset=11296768 (i32.shl (local.get $ki) (i32.const 2))) (local.get $v)) (then (return (i32.const -1))))
        (i32.store offset=1310720 (i32.shl (local.get $i) (i32.const 2)) (i32.sub (local.get $top) (local.get $ki)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $vl)))
    (local.get $B))

  ;; watershed.ts `rankValues` of the NEGATED values of VALS (its radix path: `seededWatershedOfNegated` of values
  ;; that are not integers in a range below n): the in-mask voxels' order-preserving keys of −v (−0 as +0; sign bit
  ;; flipped for positives, all bits for negatives), a stable LSD radix sort of (key, voxel) one byte per pass (a
  ;; pass where every key has the same byte skipped), and the dense ranks into the flood's ranks. Returns the number
  ;; of distinct values, or −1 (nothing ranked) when an in-mask value is NaN (its bits are the JavaScript's to keep).
  ;; Scratch: KEYS 11558912, ORD 11821056, KEYS2 12083200, ORD2 12345344 (i32 · 65536 each), COUNT 12607488 (i32 · 257).
  (func (export "negatedFloatRanks") (param $n i32) (result i32)
    (local $i i32) (local $m i32) (local $v f32) (local $b i32) (local $shift i32) (local $d i32) (local $k i32)
    (local $keys i32) (local $ord i32) (local $keys2 i32) (local $ord2 i32) (local $t i32) (local $u i32) (local $at i32)
    (block $kd (loop $kl
      (br_if $kd (i32.ge_s (local.get $i) (local.get $n)))
      (if (i32.load8_u offset=720896 (local.get $i)) (then
        (local.set $v (f32.neg (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2)))))
        (if (f32.ne (local.get $v) (local.get $v)) (then (return (i32.const -1))))
        (local.set $b (select (i32.const 0) (i32.reinterpret_f32 (local.get $v)) (f32.eq (local.get $v) (f32.const 0))))
        (i32.store offset=11558912 (i32.shl (local.get $m) (i32.const 2))
          (select (i32.xor (local.get $b) (i32.const -1)) (i32.or (local.get $b) (i32.const 0x80000000))
            (i32.lt_s (local.get $b) (i32.const 0))))
        (i32.store offset=11821056 (i32.shl (local.get $m) (i32.const 2)) (local.get $i))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $kl)))
    (if (i32.eqz (local.get $m)) (then (return (i32.const 0))))
    (local.set $keys (i32.const 11558912))
    (local.set $ord (i32.const 11821056))
    (local.set $keys2 (i32.const 12083200))
    (local.set $ord2 (i32.const 12345344))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_u (local.get $shift) (i32.const 32)))
      (block $skip
        (memory.fill (i32.const 12607488) (i32.const 0) (i32.const 1028))
        (local.set $k (i32.const 0))
        (block $cd (loop $cl
          (br_if $cd (i32.ge_s (local.get $k) (local.get $m)))
          (local.set $at (i32.add (i32.const 12607492) (i32.shl (i32.and (i32.shr_u (i32.load (i32.add (local.get $keys) (i32.shl (local.get $k) (i32.const 2)))) (local.get $shift)) (i32.const 255)) (i32.const 2))))
          (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $cl)))
        (br_if $skip (i32.eq (i32.load (i32.add (i32.const 12607492) (i32.shl (i32.and (i32.shr_u (i32.load (local.get $keys)) (local.get $shift)) (i32.const 255)) (i32.const 2)))) (local.get $m)))
        (local.set $d (i32.const 1))
        (block $sd (loop $sl
          (br_if $sd (i32.gt_s (local.get $d) (i32.const 256)))
          (i32.store offset=12607488 (i32.shl (local.get $d) (i32.const 2))
            (i32.add (i32.load offset=12607488 (i32.shl (local.get $d) (i32.const 2))) (i32.load offset=12607484 (i32.shl (local.get $d) (i32.const 2)))))
          (local.set $d (i32.add (local.get $d) (i32.const 1)))
          (br $sl)))
        (local.set $k (i32.const 0))
        (block $md (loop $ml
          (br_if $md (i32.ge_s (local.get $k) (local.get $m)))
          (local.set $b (i32.load (i32.add (local.get $keys) (i32.shl (local.get $k) (i32.const 2)))))
          (local.set $d (i32.add (i32.const 12607488) (i32.shl (i32.and (i32.shr_u (local.get $b) (local.get $shift)) (i32.const 255)) (i32.const 2))))
          (local.set $at (i32.load (local.get $d)))
          (i32.store (local.get $d) (i32.add (local.get $at) (i32.const 1)))
          (i32.store (i32.add (local.get $keys2) (i32.shl (local.get $at) (i32.const 2))) (local.get $b))
          (i32.store (i32.add (local.get $ord2) (i32.shl (local.get $at) (i32.const 2))) (i32.load (i32.add (local.get $ord) (i32.shl (local.get $k) (i32.const 2)))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $ml)))
        (local.set $t (local.get $keys)) (local.set $keys (local.get $keys2)) (local.set $keys2 (local.get $t))
        (local.set $t (local.get $ord)) (local.set $ord (local.get $ord2)) (local.set $ord2 (local.get $t)))
      (local.set $shift (i32.add (local.get $shift) (i32.const 8)))
      (br $pl)))
    (local.set $k (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $k) (local.get $m)))
      (if (i32.gt_s (local.get $k) (i32.const 0)) (then
        (if (i32.ne (i32.load (i32.add (local.get $keys) (i32.shl (local.get $k) (i32.const 2))))
              (i32.load (i32.sub (i32.add (local.get $keys) (i32.shl (local.get $k) (i32.const 2))) (i32.const 4))))
          (then (local.set $u (i32.add (local.get $u) (i32.const 1)))))))
      (i32.store offset=1310720 (i32.shl (i32.load (i32.add (local.get $ord) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 2)) (local.get $u))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $rl)))
    (i32.add (local.get $u) (i32.const 1)))
