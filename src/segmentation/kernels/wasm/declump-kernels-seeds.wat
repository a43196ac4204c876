;; Part of declump-kernels.wat (included by scripts/build-declump-wasm.mjs at its "@include" line: the
;; functions of one module, split only to keep each file short): the seeds' maxima,
;; basin merging's boundary pairs (`see`) and the convexity test's hull (the watershed's flood, basin merging's scan and
;; intensity's integer ranks are in declump-kernels-watershed.wat and -merge.wat). Memory layout: see there.
  ;; (The watershed's flood, `floodInteriorPlane`, is in declump-kernels-watershed.wat.)

  ;; peaks.ts step 1 on the interior voxels of a plane (rows 1..Y-2, columns 1..X-2), four at a time: region
  ;; voxels with a value > 0 and no larger value among their 8 neighbours of the same region. Writes their indices
  ;; in raster order and returns how many.
  (func $peakCandidates (export "peakCandidates") (param $Y i32) (param $X i32) (result i32)
    (local $y i32) (local $x i32) (local $i i32) (local $j i32) (local $nc i32) (local $xe i32)
    (local $r v128) (local $v v128) (local $elig v128) (local $bad v128) (local $bits i32)
    (local $rs i32) (local $vs f32)
    (local.set $xe (i32.sub (local.get $X) (i32.const 1)))
    (local.set $y (i32.const 1))
    (block $yDone (loop $rows
      (br_if $yDone (i32.ge_s (local.get $y) (i32.sub (local.get $Y) (i32.const 1))))
      (local.set $x (i32.const 1))
      (block $vDone (loop $quads
        (br_if $vDone (i32.gt_s (i32.add (local.get $x) (i32.const 4)) (local.get $xe)))
        (local.set $i (i32.add (i32.mul (local.get $y) (local.get $X)) (local.get $x)))
        (local.set $r (v128.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
        (local.set $v (v128.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
        (local.set $elig (v128.andnot (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))
          (i32x4.eq (local.get $r) (v128.const i32x4 0 0 0 0))))
        (if (v128.any_true (local.get $elig)) (then
          (local.set $bad (v128.const i32x4 0 0 0 0))
          (local.set $j (i32.shl (i32.sub (i32.sub (local.get $i) (local.get $X)) (i32.const 1)) (i32.const 2)))
          (local.set $bad (v128.or (local.get $bad) (v128.and
            (i32x4.eq (v128.load offset=1572864 (local.get $j)) (local.get $r))
            (f32x4.gt (v128.load offset=196608 (local.get $j)) (local.get $v)))))
          (local.set $j (i32.shl (i32.sub (local.get $i) (local.get $X)) (i32.const 2)))
          (local.set $bad (v128.or (local.get $bad) (v128.and
            (i32x4.eq (v128.load offset=1572864 (local.get $j)) (local.get $r))
            (f32x4.gt (v128.load offset=196608 (local.get $j)) (local.get $v)))))
          (local.set $j (i32.shl (i32.add (i32.sub (local.get $i) (local.get $X)) (i32.const 1)) (i32.const 2)))
          (local.set $bad (v128.or (local.get $bad) (v128.and
            (i32x4.eq (v128.load offset=1572864 (local.get $j)) (local.get $r))
            (f32x4.gt (v128.load offset=196608 (local.get $j)) (local.get $v)))))
          (local.set $j (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))
          (local.set $bad (v128.or (local.get $bad) (v128.and
            (i32x4.eq (v128.load offset=1572864 (local.get $j)) (local.get $r))
            (f32x4.gt (v128.load offset=196608 (local.get $j)) (local.get $v)))))
          (local.set $j (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2)))
          (local.set $bad (v128.or (local.get $bad) (v128.and
            (i32x4.eq (v128.load offset=1572864 (local.get $j)) (local.get $r))
            (f32x4.gt (v128.load offset=196608 (local.get $j)) (local.get $v)))))
          (local.set $j (i32.shl (i32.sub (i32.add (local.get $i) (local.get $X)) (i32.const 1)) (i32.const 2)))
          (local.set $bad (v128.or (local.get $bad) (v128.and
            (i32x4.eq (v128.load offset=1572864 (local.get $j)) (local.get $r))
            (f32x4.gt (v128.load offset=196608 (local.get $j)) (local.get $v)))))
          (local.set $j (i32.shl (i32.add (local.get $i) (local.get $X)) (i32.const 2)))
          (local.set $bad (v128.or (local.get $bad) (v128.and
            (i32x4.eq (v128.load offset=1572864 (local.get $j)) (local.get $r))
            (f32x4.gt (v128.load offset=196608 (local.get $j)) (local.get $v)))))
          (local.set $j (i32.shl (i32.add (i32.add (local.get $i) (local.get $X)) (i32.const 1)) (i32.const 2)))
          (local.set $bad (v128.or (local.get $bad) (v128.and
            (i32x4.eq (v128.load offset=1572864 (local.get $j)) (local.get $r))
            (f32x4.gt (v128.load offset=196608 (local.get $j)) (local.get $v)))))
          (local.set $bits (i32x4.bitmask (v128.andnot (local.get $elig) (local.get $bad))))
          (block $b0 (br_if $b0 (i32.eqz (i32.and (local.get $bits) (i32.const 1))))
            (i32.store offset=1310720 (i32.shl (local.get $nc) (i32.const 2)) (local.get $i)) (local.set $nc (i32.add (local.get $nc) (i32.const 1))))
          (block $b1 (br_if $b1 (i32.eqz (i32.and (local.get $bits) (i32.const 2))))
            (i32.store offset=1310720 (i32.shl (local.get $nc) (i32.const 2)) (i32.add (local.get $i) (i32.const 1))) (local.set $nc (i32.add (local.get $nc) (i32.const 1))))
          (block $b2 (br_if $b2 (i32.eqz (i32.and (local.get $bits) (i32.const 4))))
            (i32.store offset=1310720 (i32.shl (local.get $nc) (i32.const 2)) (i32.add (local.get $i) (i32.const 2))) (local.set $nc (i32.add (local.get $nc) (i32.const 1))))
          (block $b3 (br_if $b3 (i32.eqz (i32.and (local.get $bits) (i32.const 8))))
            (i32.store offset=1310720 (i32.shl (local.get $nc) (i32.const 2)) (i32.add (local.get $i) (i32.const 3))) (local.set $nc (i32.add (local.get $nc) (i32.const 1))))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $quads)))
      ;; the rest of the row one by one
      (block $sDone (loop $singles
        (br_if $sDone (i32.ge_s (local.get $x) (local.get $xe)))
        (local.set $i (i32.add (i32.mul (local.get $y) (local.get $X)) (local.get $x)))
        (local.set $rs (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
        (local.set $vs (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
        (block $no
          (br_if $no (i32.eqz (local.get $rs)))
          (br_if $no (i32.eqz (f32.gt (local.get $vs) (f32.const 0))))
            (local.set $j (i32.shl (i32.sub (i32.sub (local.get $i) (local.get $X)) (i32.const 1)) (i32.const 2)))
            (br_if $no (i32.and (i32.eq (i32.load offset=1572864 (local.get $j)) (local.get $rs))
              (f32.gt (f32.load offset=196608 (local.get $j)) (local.get $vs))))
            (local.set $j (i32.shl (i32.sub (local.get $i) (local.get $X)) (i32.const 2)))
            (br_if $no (i32.and (i32.eq (i32.load offset=1572864 (local.get $j)) (local.get $rs))
              (f32.gt (f32.load offset=196608 (local.get $j)) (local.get $vs))))
            (local.set $j (i32.shl (i32.add (i32.sub (local.get $i) (local.get $X)) (i32.const 1)) (i32.const 2)))
            (br_if $no (i32.and (i32.eq (i32.load offset=1572864 (local.get $j)) (local.get $rs))
              (f32.gt (f32.load offset=196608 (local.get $j)) (local.get $vs))))
            (local.set $j (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))
            (br_if $no (i32.and (i32.eq (i32.load offset=1572864 (local.get $j)) (local.get $rs))
              (f32.gt (f32.load offset=196608 (local.get $j)) (local.get $vs))))
            (local.set $j (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2)))
            (br_if $no (i32.and (i32.eq (i32.load offset=1572864 (local.get $j)) (local.get $rs))
              (f32.gt (f32.load offset=196608 (local.get $j)) (local.get $vs))))
            (local.set $j (i32.shl (i32.sub (i32.add (local.get $i) (local.get $X)) (i32.const 1)) (i32.const 2)))
            (br_if $no (i32.and (i32.eq (i32.load offset=1572864 (local.get $j)) (local.get $rs))
              (f32.gt (f32.load offset=196608 (local.get $j)) (local.get $vs))))
            (local.set $j (i32.shl (i32.add (local.get $i) (local.get $X)) (i32.const 2)))
            (br_if $no (i32.and (i32.eq (i32.load offset=1572864 (local.get $j)) (local.get $rs))
              (f32.gt (f32.load offset=196608 (local.get $j)) (local.get $vs))))
            (local.set $j (i32.shl (i32.add (i32.add (local.get $i) (local.get $X)) (i32.const 1)) (i32.const 2)))
            (br_if $no (i32.and (i32.eq (i32.load offset=1572864 (local.get $j)) (local.get $rs))
              (f32.gt (f32.load offset=196608 (local.get $j)) (local.get $vs))))
          (i32.store offset=1310720 (i32.shl (local.get $nc) (i32.const 2)) (local.get $i))
          (local.set $nc (i32.add (local.get $nc) (i32.const 1))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $singles)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $rows)))
    (local.get $nc))

  ;; merge-shallow.ts `see`: the boundary voxel pair (i, j) of labels a ≠ b (both > 0) into the pair's
  ;; [highest, sum, count] of min(m[i], m[j]) per map, the pair registered when first seen.
  (func $see (param $a i32) (param $b i32) (param $i i32) (param $j i32) (param $nc i32) (param $np i32) (result i32)
    (local $slot i32) (local $cur i32) (local $v f64)
    (local.set $slot (select
      (i32.add (i32.shl (local.get $a) (i32.const 6)) (local.get $b))
      (i32.add (i32.shl (local.get $b) (i32.const 6)) (local.get $a))
      (i32.lt_u (local.get $a) (local.get $b))))
    (local.set $cur (i32.add (i32.const 1835008) (i32.mul (local.get $slot) (i32.const 48))))
    (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $slot) (i32.const 2))) (i32.const 0)) (then
      (i32.store offset=2097152 (i32.shl (local.get $slot) (i32.const 2)) (local.get $np))
      (i32.store offset=2113536 (i32.shl (local.get $np) (i32.const 2)) (local.get $slot))
      (local.set $np (i32.add (local.get $np) (i32.const 1)))
      (f64.store (local.get $cur) (f64.const -inf))
      (f64.store offset=8 (local.get $cur) (f64.const 0))
      (f64.store offset=16 (local.get $cur) (f64.const 0))
      (f64.store offset=24 (local.get $cur) (f64.const -inf))
      (f64.store offset=32 (local.get $cur) (f64.const 0))
      (f64.store offset=40 (local.get $cur) (f64.const 0))))
    (local.set $v (f64.min
      (f64.promote_f32 (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
      (f64.promote_f32 (f32.load offset=196608 (i32.shl (local.get $j) (i32.const 2))))))
    (if (f64.gt (local.get $v) (f64.load (local.get $cur))) (then (f64.store (local.get $cur) (local.get $v))))
    (f64.store offset=8 (local.get $cur) (f64.add (f64.load offset=8 (local.get $cur)) (local.get $v)))
    (f64.store offset=16 (local.get $cur) (f64.add (f64.load offset=16 (local.get $cur)) (f64.const 1)))
    (if (i32.gt_s (local.get $nc) (i32.const 1)) (then
      (local.set $v (f64.min
        (f64.promote_f32 (f32.load offset=458752 (i32.shl (local.get $i) (i32.const 2))))
        (f64.promote_f32 (f32.load offset=458752 (i32.shl (local.get $j) (i32.const 2))))))
      (if (f64.gt (local.get $v) (f64.load offset=24 (local.get $cur))) (then (f64.store offset=24 (local.get $cur) (local.get $v))))
      (f64.store offset=32 (local.get $cur) (f64.add (f64.load offset=32 (local.get $cur)) (local.get $v)))
      (f64.store offset=40 (local.get $cur) (f64.add (f64.load offset=40 (local.get $cur)) (f64.const 1)))))
    (local.get $np))

  ;; (The scan itself, `mergeScan`, is in declump-kernels-merge.wat.)

  ;; (Intensity's integer ranks, `negatedIntegerRanks`, are in declump-kernels-watershed.wat.)

  (func $gcd (param $a i32) (param $b i32) (result i32)
    (local $t i32)
    (block $d (loop $l
      (br_if $d (i32.eqz (local.get $b)))
      (local.set $t (i32.rem_u (local.get $a) (local.get $b)))
      (local.set $a (local.get $b))
      (local.set $b (local.get $t))
      (br $l)))
    (local.get $a))

  ;; convex-hull.ts `hullPixelsIndexed` + `hullOfRowExtremes` for the runs [qStart, qEnd) of the filled run arrays:
  ;; each row's extreme pixel centres, Andrew's monotone chain, Pick's theorem (products and the area in i64: exact,
  ;; as JavaScript's doubles are for these integers).
  (func $hullPixels (export "hullPixels") (param $qStart i32) (param $qEnd i32) (result f64)
    (local $q i32) (local $m i32) (local $y i32) (local $a i32) (local $e i32) (local $h i32) (local $start i32)
    (local $pass i32) (local $t i32) (local $i i32) (local $qx i32) (local $qy i32) (local $j i32)
    (local $area i64) (local $boundary i32) (local $dx i32) (local $dy i32)
    (local.set $q (local.get $qStart))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s (local.get $q) (local.get $qEnd)))
      (local.set $y (i32.load offset=3145728 (i32.shl (local.get $q) (i32.const 2))))
      (local.set $a (i32.load offset=2621440 (i32.shl (local.get $q) (i32.const 2))))
      (local.set $e (i32.load offset=2883584 (i32.shl (local.get $q) (i32.const 2))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (block $rd (loop $rl
        (br_if $rd (i32.ge_s (local.get $q) (local.get $qEnd)))
        (br_if $rd (i32.ne (i32.load offset=3145728 (i32.shl (local.get $q) (i32.const 2))) (local.get $y)))
        (local.set $e (i32.load offset=2883584 (i32.shl (local.get $q) (i32.const 2))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $rl)))
      (i32.store offset=3407872 (i32.shl (local.get $m) (i32.const 2)) (local.get $a))
      (i32.store offset=3473408 (i32.shl (local.get $m) (i32.const 2)) (local.get $y))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (if (i32.ne (local.get $e) (local.get $a)) (then
        (i32.store offset=3407872 (i32.shl (local.get $m) (i32.const 2)) (local.get $e))
        (i32.store offset=3473408 (i32.shl (local.get $m) (i32.const 2)) (local.get $y))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))))
      (br $pl)))
    (if (i32.le_s (local.get $m) (i32.const 2)) (then
      (if (i32.eqz (local.get $m)) (then (return (f64.const 0))))
      (local.set $dx (i32.sub (i32.load offset=3407872 (i32.shl (i32.sub (local.get $m) (i32.const 1)) (i32.const 2))) (i32.load offset=3407872 (i32.const 0))))
      (local.set $dy (i32.sub (i32.load offset=3473408 (i32.shl (i32.sub (local.get $m) (i32.const 1)) (i32.const 2))) (i32.load offset=3473408 (i32.const 0))))
      (return (f64.convert_i32_s (i32.add (call $gcd
        (select (local.get $dx) (i32.sub (i32.const 0) (local.get $dx)) (i32.ge_s (local.get $dx) (i32.const 0)))
        (select (local.get $dy) (i32.sub (i32.const 0) (local.get $dy)) (i32.ge_s (local.get $dy) (i32.const 0)))) (i32.const 1))))))
    (local.set $h (i32.const 0))
    (local.set $pass (i32.const 0))
    (block $passDone (loop $passes
      (br_if $passDone (i32.ge_s (local.get $pass) (i32.const 2)))
      (local.set $start (local.get $h))
      (local.set $t (i32.const 0))
      (block $td (loop $tl
        (br_if $td (i32.ge_s (local.get $t) (local.get $m)))
        (local.set $i (select (local.get $t) (i32.sub (i32.sub (local.get $m) (i32.const 1)) (local.get $t)) (i32.eqz (local.get $pass))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        ;; the forward chain skips a row's left point, the backward one its right point (but the first and last points)
        ;; (j: the neighbour in the pass's direction; i itself where that is outside the points, and for the pass's first
        ;; point: never skipped, as then j = i is excluded below)
        (local.set $j (select (i32.add (local.get $i) (i32.const 1)) (i32.sub (local.get $i) (i32.const 1)) (i32.eqz (local.get $pass))))
        (local.set $j (select (local.get $j) (local.get $i)
          (i32.and (i32.ne (local.get $t) (i32.const 1)) (i32.lt_u (local.get $j) (local.get $m)))))
        (br_if $tl (i32.and (i32.ne (local.get $j) (local.get $i))
          (i32.eq (i32.load offset=3473408 (i32.shl (local.get $j) (i32.const 2))) (i32.load offset=3473408 (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $qx (i32.load offset=3407872 (i32.shl (local.get $i) (i32.const 2))))
        (local.set $qy (i32.load offset=3473408 (i32.shl (local.get $i) (i32.const 2))))
        (block $popd (loop $popl
          (br_if $popd (i32.lt_s (i32.sub (local.get $h) (local.get $start)) (i32.const 2)))
          (br_if $popd (i64.gt_s
            (i64.sub
              (i64.mul
                (i64.extend_i32_s (i32.sub (i32.load offset=3538944 (i32.shl (i32.sub (local.get $h) (i32.const 1)) (i32.const 2))) (i32.load offset=3538944 (i32.shl (i32.sub (local.get $h) (i32.const 2)) (i32.const 2)))))
                (i64.extend_i32_s (i32.sub (local.get $qy) (i32.load offset=3735552 (i32.shl (i32.sub (local.get $h) (i32.const 2)) (i32.const 2))))))
              (i64.mul
                (i64.extend_i32_s (i32.sub (i32.load offset=3735552 (i32.shl (i32.sub (local.get $h) (i32.const 1)) (i32.const 2))) (i32.load offset=3735552 (i32.shl (i32.sub (local.get $h) (i32.const 2)) (i32.const 2)))))
                (i64.extend_i32_s (i32.sub (local.get $qx) (i32.load offset=3538944 (i32.shl (i32.sub (local.get $h) (i32.const 2)) (i32.const 2)))))))
            (i64.const 0)))
          (local.set $h (i32.sub (local.get $h) (i32.const 1)))
          (br $popl)))
        (i32.store offset=3538944 (i32.shl (local.get $h) (i32.const 2)) (local.get $qx))
        (i32.store offset=3735552 (i32.shl (local.get $h) (i32.const 2)) (local.get $qy))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $tl)))
      (local.set $h (i32.sub (local.get $h) (i32.const 1)))
      (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
      (br $passes)))
    (local.set $i (i32.const 0))
    (block $ad (loop $al
      (br_if $ad (i32.ge_s (local.get $i) (local.get $h)))
      (local.set $j (select (i32.const 0) (i32.add (local.get $i) (i32.const 1)) (i32.eq (i32.add (local.get $i) (i32.const 1)) (local.get $h))))
      (local.set $area (i64.add (local.get $area) (i64.sub
        (i64.mul (i64.extend_i32_s (i32.load offset=3538944 (i32.shl (local.get $i) (i32.const 2)))) (i64.extend_i32_s (i32.load offset=3735552 (i32.shl (local.get $j) (i32.const 2)))))
        (i64.mul (i64.extend_i32_s (i32.load offset=3538944 (i32.shl (local.get $j) (i32.const 2)))) (i64.extend_i32_s (i32.load offset=3735552 (i32.shl (local.get $i) (i32.const 2))))))))
      (local.set $dx (i32.sub (i32.load offset=3538944 (i32.shl (local.get $j) (i32.const 2))) (i32.load offset=3538944 (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $dy (i32.sub (i32.load offset=3735552 (i32.shl (local.get $j) (i32.const 2))) (i32.load offset=3735552 (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $boundary (i32.add (local.get $boundary) (call $gcd
        (select (local.get $dx) (i32.sub (i32.const 0) (local.get $dx)) (i32.ge_s (local.get $dx) (i32.const 0)))
        (select (local.get $dy) (i32.sub (i32.const 0) (local.get $dy)) (i32.ge_s (local.get $dy) (i32.const 0))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $al)))
    (if (i64.lt_s (local.get $area) (i64.const 0)) (then (local.set $area (i64.sub (i64.const 0) (local.get $area)))))
    (f64.add (f64.add (f64.div (f64.convert_i64_s (local.get $area)) (f64.const 2)) (f64.div (f64.convert_i32_s (local.get $boundary)) (f64.const 2))) (f64.const 1)))
