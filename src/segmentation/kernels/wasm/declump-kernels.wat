;; Declumping's per-clump kernels in WebAssembly (declump-wasm.ts; scripts/build-declump-wasm.mjs assembles this
;; file into declump-kernels-wasm.ts). Every float is formed exactly as in the JavaScript kernels (same
;; operations, same order, f64 sums of f32 inputs rounded to f32 once at the end), so the results are the same to
;; the last bit; SIMD only computes two neighbouring voxels' sums side by side (f64x2 lanes are IEEE doubles).
;;
;; Fixed memory (60 pages, no growth; planes of at most 65 536 voxels, 16 384 rows, 64 taps):
;;   KY 0 (f64 taps)   KX 512 (f64 taps)   FROM 65536 (i32 per row)   TO 131072 (i32 per row)
;;   VALS 196608 (f32 plane)   OUT 458752 (f32 plane)   NEED 720896 (u8 plane)   A 786432 (f64 plane)
;; The distance transform reuses them: mask in NEED, distances in OUT, H (i32 plane) at 786432, ranks (i32 plane)
;; at 1048576, the envelope's F, S, T (i32, rows of at most 4096) at 65536, 81920, 98304.
;; Peak candidates: values in VALS, regions (u32) at 1572864, candidate indices (i32) out at 1310720.
;; Basin merging's scan: labels (u32) at 1572864, maps (f32) in VALS and OUT; per label (< 64) voxel counts (f64) at
;; 786432 and peaks (f64, label · nc + c) at 788480; per pair slot (lo · 64 + hi) 3·nc f64 at 1835008, its
;; first-seen number (i32, −1 = unseen) at 2097152, the slots in first-seen order (i32) at 2113536.
;; The flood: mask in NEED, ranks (i32) at 1310720, labels (u32) 1572864, NEXT 1835008, HEAD 2097152, TAIL 2359296.
(module
  (memory (export "memory") 60 60)

  ;; masked-smooth.ts `smoothPlane` without a mask (normalised): the y pass into A over each row's needed x range
  ;; [FROM, TO) widened by hx, then the x pass into OUT (0 outside [FROM, TO) and, with $needed, where NEED is 0).
  (func (export "smoothPlane") (param $Y i32) (param $X i32) (param $hy i32) (param $hx i32)
    (param $kySum f64) (param $kxSum f64) (param $zerosOutside i32) (param $needed i32)
    (local $q i32) (local $lo i32) (local $hi i32) (local $t i32) (local $w f64) (local $d f64)
    (local $f i32) (local $e i32) (local $xa i32) (local $xe i32) (local $x i32) (local $p i32) (local $kp i32)
    (local $c i32) (local $acc v128) (local $accs f64) (local $dv v128) (local $stride i32) (local $row i32)
    (local $qa i32) (local $qe i32) (local $kt f64) (local $acc2 v128) (local $kv v128)
    (local.set $stride (i32.shl (local.get $X) (i32.const 2)))
    ;; ---- y pass ----
    (local.set $q (i32.const 0))
    (block $yDone (loop $yRows
      (br_if $yDone (i32.ge_s (local.get $q) (local.get $Y)))
      ;; lo = max(-hy, -q), hi = min(hy, Y - 1 - q)
      (local.set $lo (select (i32.sub (i32.const 0) (local.get $q)) (i32.sub (i32.const 0) (local.get $hy))
        (i32.lt_s (local.get $q) (local.get $hy))))
      (local.set $hi (select (i32.sub (i32.sub (local.get $Y) (i32.const 1)) (local.get $q)) (local.get $hy)
        (i32.lt_s (i32.sub (i32.sub (local.get $Y) (i32.const 1)) (local.get $q)) (local.get $hy))))
      (local.set $f (i32.load (i32.add (i32.const 65536) (i32.shl (local.get $q) (i32.const 2)))))
      (local.set $e (i32.load (i32.add (i32.const 131072) (i32.shl (local.get $q) (i32.const 2)))))
      (if (i32.ne (local.get $f) (local.get $e)) (then
        ;; the divisor: the whole kernel's weight, or the in-plane taps' weight summed lowest first
        (local.set $w (f64.const 0))
        (local.set $t (local.get $lo))
        (block $wDone (loop $wTaps
          (br_if $wDone (i32.gt_s (local.get $t) (local.get $hi)))
          (local.set $w (f64.add (local.get $w)
            (f64.load (i32.shl (i32.add (local.get $t) (local.get $hy)) (i32.const 3)))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $wTaps)))
        (local.set $d (select (local.get $kySum) (local.get $w)
          (i32.or (local.get $zerosOutside)
            (i32.and (i32.eq (local.get $lo) (i32.sub (i32.const 0) (local.get $hy))) (i32.eq (local.get $hi) (local.get $hy))))))
        (local.set $dv (f64x2.splat (local.get $d)))
        (local.set $xa (select (i32.const 0) (i32.sub (local.get $f) (local.get $hx))
          (i32.lt_s (i32.sub (local.get $f) (local.get $hx)) (i32.const 0))))
        (local.set $xe (select (local.get $X) (i32.add (local.get $e) (local.get $hx))
          (i32.gt_s (i32.add (local.get $e) (local.get $hx)) (local.get $X))))
        (local.set $x (local.get $xa))
        ;; four voxels at a time (two independent sums: the adds' latency overlaps), then two
        (block $qDone (loop $quads
          (br_if $qDone (i32.gt_s (i32.add (local.get $x) (i32.const 4)) (local.get $xe)))
          (local.set $acc (v128.const i64x2 0 0))
          (local.set $acc2 (v128.const i64x2 0 0))
          (local.set $p (i32.add (i32.const 196608)
            (i32.shl (i32.add (i32.mul (i32.add (local.get $q) (local.get $lo)) (local.get $X)) (local.get $x)) (i32.const 2))))
          (local.set $kp (i32.shl (i32.add (local.get $lo) (local.get $hy)) (i32.const 3)))
          (local.set $c (i32.add (i32.sub (local.get $hi) (local.get $lo)) (i32.const 1)))
          (loop $taps4
            (local.set $kv (f64x2.splat (f64.load (local.get $kp))))
            (local.set $acc (f64x2.add (local.get $acc)
              (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))) (local.get $kv))))
            (local.set $acc2 (f64x2.add (local.get $acc2)
              (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $p))) (local.get $kv))))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $kp (i32.add (local.get $kp) (i32.const 8)))
            (local.set $c (i32.sub (local.get $c) (i32.const 1)))
            (br_if $taps4 (local.get $c)))
          (local.set $p (i32.add (i32.const 786432) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $X)) (local.get $x)) (i32.const 3))))
          (v128.store (local.get $p) (f64x2.div (local.get $acc) (local.get $dv)))
          (v128.store offset=16 (local.get $p) (f64x2.div (local.get $acc2) (local.get $dv)))
          (local.set $x (i32.add (local.get $x) (i32.const 4)))
          (br $quads)))
        (block $pDone (loop $pairs
          (br_if $pDone (i32.gt_s (i32.add (local.get $x) (i32.const 2)) (local.get $xe)))
          (local.set $acc (v128.const i64x2 0 0))
          (local.set $p (i32.add (i32.const 196608)
            (i32.shl (i32.add (i32.mul (i32.add (local.get $q) (local.get $lo)) (local.get $X)) (local.get $x)) (i32.const 2))))
          (local.set $kp (i32.shl (i32.add (local.get $lo) (local.get $hy)) (i32.const 3)))
          (local.set $c (i32.add (i32.sub (local.get $hi) (local.get $lo)) (i32.const 1)))
          (loop $taps
            (local.set $acc (f64x2.add (local.get $acc)
              (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))) (f64x2.splat (f64.load (local.get $kp))))))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $kp (i32.add (local.get $kp) (i32.const 8)))
            (local.set $c (i32.sub (local.get $c) (i32.const 1)))
            (br_if $taps (local.get $c)))
          (v128.store (i32.add (i32.const 786432) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $X)) (local.get $x)) (i32.const 3)))
            (f64x2.div (local.get $acc) (local.get $dv)))
          (local.set $x (i32.add (local.get $x) (i32.const 2)))
          (br $pairs)))
        ;; an odd last voxel
        (if (i32.lt_s (local.get $x) (local.get $xe)) (then
          (local.set $accs (f64.const 0))
          (local.set $p (i32.add (i32.const 196608)
            (i32.shl (i32.add (i32.mul (i32.add (local.get $q) (local.get $lo)) (local.get $X)) (local.get $x)) (i32.const 2))))
          (local.set $kp (i32.shl (i32.add (local.get $lo) (local.get $hy)) (i32.const 3)))
          (local.set $c (i32.add (i32.sub (local.get $hi) (local.get $lo)) (i32.const 1)))
          (loop $tapsS
            (local.set $accs (f64.add (local.get $accs)
              (f64.mul (f64.promote_f32 (f32.load (local.get $p))) (f64.load (local.get $kp)))))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $kp (i32.add (local.get $kp) (i32.const 8)))
            (local.set $c (i32.sub (local.get $c) (i32.const 1)))
            (br_if $tapsS (local.get $c)))
          (f64.store (i32.add (i32.const 786432) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $X)) (local.get $x)) (i32.const 3)))
            (f64.div (local.get $accs) (local.get $d)))))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $yRows)))
    ;; ---- x pass ----
    (local.set $dv (f64x2.splat (local.get $kxSum)))
    (local.set $q (i32.const 0)) ;; q = row index y here
    (block $xDone (loop $xRows
      (br_if $xDone (i32.ge_s (local.get $q) (local.get $Y)))
      (local.set $row (i32.mul (local.get $q) (local.get $X)))
      (local.set $f (i32.load (i32.add (i32.const 65536) (i32.shl (local.get $q) (i32.const 2)))))
      (local.set $e (i32.load (i32.add (i32.const 131072) (i32.shl (local.get $q) (i32.const 2)))))
      (if (i32.eq (local.get $f) (local.get $e))
        (then (memory.fill (i32.add (i32.const 458752) (i32.shl (local.get $row) (i32.const 2))) (i32.const 0) (local.get $stride)))
        (else
          (memory.fill (i32.add (i32.const 458752) (i32.shl (local.get $row) (i32.const 2))) (i32.const 0) (i32.shl (local.get $f) (i32.const 2)))
          (memory.fill (i32.add (i32.const 458752) (i32.shl (i32.add (local.get $row) (local.get $e)) (i32.const 2))) (i32.const 0)
            (i32.shl (i32.sub (local.get $X) (local.get $e)) (i32.const 2)))
          ;; interior [qa, qe): every tap inside the row; the others (edges) one by one
          (local.set $qa (select (local.get $hx) (local.get $f) (i32.gt_s (local.get $hx) (local.get $f))))
          (local.set $qe (select (i32.sub (local.get $X) (local.get $hx)) (local.get $e)
            (i32.lt_s (i32.sub (local.get $X) (local.get $hx)) (local.get $e))))
          (local.set $qe (select (local.get $qa) (local.get $qe) (i32.gt_s (local.get $qa) (local.get $qe))))
          (local.set $x (local.get $f))
          (block $eDone (loop $edges
            (br_if $eDone (i32.ge_s (local.get $x) (local.get $e)))
            (if (i32.eq (local.get $x) (local.get $qa)) (then
              (local.set $x (local.get $qe))
              (br_if $eDone (i32.ge_s (local.get $x) (local.get $e)))))
            ;; lo = max(-hx, -x), hi = min(hx, X - 1 - x)
            (local.set $lo (select (i32.sub (i32.const 0) (local.get $x)) (i32.sub (i32.const 0) (local.get $hx))
              (i32.lt_s (local.get $x) (local.get $hx))))
            (local.set $hi (select (i32.sub (i32.sub (local.get $X) (i32.const 1)) (local.get $x)) (local.get $hx)
              (i32.lt_s (i32.sub (i32.sub (local.get $X) (i32.const 1)) (local.get $x)) (local.get $hx))))
            (local.set $accs (f64.const 0))
            (local.set $w (f64.const 0))
            (local.set $t (local.get $lo))
            (block $tDone (loop $tapsE
              (br_if $tDone (i32.gt_s (local.get $t) (local.get $hi)))
              (local.set $kt (f64.load (i32.add (i32.const 512) (i32.shl (i32.add (local.get $t) (local.get $hx)) (i32.const 3)))))
              (local.set $accs (f64.add (local.get $accs) (f64.mul
                (f64.load (i32.add (i32.const 786432) (i32.shl (i32.add (i32.add (local.get $row) (local.get $x)) (local.get $t)) (i32.const 3))))
                (local.get $kt))))
              (local.set $w (f64.add (local.get $w) (local.get $kt)))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))
              (br $tapsE)))
            (f32.store (i32.add (i32.const 458752) (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2)))
              (f32.demote_f64 (f64.div (local.get $accs) (select (local.get $kxSum) (local.get $w) (local.get $zerosOutside)))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $edges)))
          ;; interior, four voxels at a time, then two, then an odd last one
          (local.set $x (local.get $qa))
          (local.set $c (i32.add (i32.shl (local.get $hx) (i32.const 1)) (i32.const 1)))
          (block $i4Done (loop $inner4
            (br_if $i4Done (i32.gt_s (i32.add (local.get $x) (i32.const 4)) (local.get $qe)))
            (local.set $acc (v128.const i64x2 0 0))
            (local.set $acc2 (v128.const i64x2 0 0))
            (local.set $p (i32.add (i32.const 786432) (i32.shl (i32.sub (i32.add (local.get $row) (local.get $x)) (local.get $hx)) (i32.const 3))))
            (local.set $kp (i32.const 512))
            (local.set $t (local.get $c))
            (loop $tapsI4
              (local.set $kv (f64x2.splat (f64.load (local.get $kp))))
              (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (v128.load (local.get $p)) (local.get $kv))))
              (local.set $acc2 (f64x2.add (local.get $acc2) (f64x2.mul (v128.load offset=16 (local.get $p)) (local.get $kv))))
              (local.set $p (i32.add (local.get $p) (i32.const 8)))
              (local.set $kp (i32.add (local.get $kp) (i32.const 8)))
              (local.set $t (i32.sub (local.get $t) (i32.const 1)))
              (br_if $tapsI4 (local.get $t)))
            (local.set $p (i32.add (i32.const 458752) (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2))))
            (v128.store64_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (f64x2.div (local.get $acc) (local.get $dv))))
            (v128.store64_lane offset=8 0 (local.get $p) (f32x4.demote_f64x2_zero (f64x2.div (local.get $acc2) (local.get $dv))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $inner4)))
          (block $iDone (loop $inner
            (br_if $iDone (i32.gt_s (i32.add (local.get $x) (i32.const 2)) (local.get $qe)))
            (local.set $acc (v128.const i64x2 0 0))
            (local.set $p (i32.add (i32.const 786432) (i32.shl (i32.sub (i32.add (local.get $row) (local.get $x)) (local.get $hx)) (i32.const 3))))
            (local.set $kp (i32.const 512))
            (local.set $t (local.get $c))
            (loop $tapsI
              (local.set $acc (f64x2.add (local.get $acc)
                (f64x2.mul (v128.load (local.get $p)) (f64x2.splat (f64.load (local.get $kp))))))
              (local.set $p (i32.add (local.get $p) (i32.const 8)))
              (local.set $kp (i32.add (local.get $kp) (i32.const 8)))
              (local.set $t (i32.sub (local.get $t) (i32.const 1)))
              (br_if $tapsI (local.get $t)))
            (v128.store64_lane 0 (i32.add (i32.const 458752) (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2)))
              (f32x4.demote_f64x2_zero (f64x2.div (local.get $acc) (local.get $dv))))
            (local.set $x (i32.add (local.get $x) (i32.const 2)))
            (br $inner)))
          (if (i32.lt_s (local.get $x) (local.get $qe)) (then
            (local.set $accs (f64.const 0))
            (local.set $p (i32.add (i32.const 786432) (i32.shl (i32.sub (i32.add (local.get $row) (local.get $x)) (local.get $hx)) (i32.const 3))))
            (local.set $kp (i32.const 512))
            (local.set $t (local.get $c))
            (loop $tapsO
              (local.set $accs (f64.add (local.get $accs) (f64.mul (f64.load (local.get $p)) (f64.load (local.get $kp)))))
              (local.set $p (i32.add (local.get $p) (i32.const 8)))
              (local.set $kp (i32.add (local.get $kp) (i32.const 8)))
              (local.set $t (i32.sub (local.get $t) (i32.const 1)))
              (br_if $tapsO (local.get $t)))
            (f32.store (i32.add (i32.const 458752) (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2)))
              (f32.demote_f64 (f64.div (local.get $accs) (local.get $kxSum))))))
          ;; voxels not needed: 0
          (if (local.get $needed) (then
            (local.set $x (local.get $f))
            (block $nDone (loop $need
              (br_if $nDone (i32.ge_s (local.get $x) (local.get $e)))
              (if (i32.eqz (i32.load8_u (i32.add (i32.const 720896) (i32.add (local.get $row) (local.get $x)))))
                (then (f32.store (i32.add (i32.const 458752) (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2))) (f32.const 0))))
              (local.set $x (i32.add (local.get $x) (i32.const 1)))
              (br $need)))))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $xRows))))
  ;; distance-transform-int.ts `unitPlaneDistanceTransform` (Meijster et al. 2000, phases swapped), the same
  ;; integers, roots and ranks. Returns 0 (nothing meaningful written) when the plane has no background voxel.
  (func (export "unitPlaneDT") (param $Y i32) (param $X i32) (param $withRanks i32) (result i32)
    (local $n i32) (local $i i32) (local $x i32) (local $y i32) (local $rowEnd i32) (local $bg i32) (local $bgv v128)
    (local $z v128) (local $v i32) (local $row i32) (local $first i32) (local $last i32) (local $x0 i32) (local $x1 i32)
    (local $m i32) (local $u i32) (local $q i32) (local $fu i32) (local $a i32) (local $b i32) (local $p i32)
    (local $w i32) (local $k i32) (local $top i32) (local $sq i32)
    (local.set $n (i32.mul (local.get $Y) (local.get $X)))
    ;; Phase 1, downward: row 0, then each row from the one above (4 voxels at a time).
    (local.set $x (i32.const 0))
    (block $d0 (loop $l0
      (br_if $d0 (i32.ge_s (local.get $x) (local.get $X)))
      (if (i32.load8_u offset=720896 (local.get $x))
        (then (i32.store offset=786432 (i32.shl (local.get $x) (i32.const 2)) (i32.const 32768)))
        (else (i32.store offset=786432 (i32.shl (local.get $x) (i32.const 2)) (i32.const 0)) (local.set $bg (i32.const 1))))
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (br $l0)))
    (local.set $bgv (v128.const i32x4 0 0 0 0))
    (local.set $i (local.get $X))
    (block $dDown (loop $down
      (br_if $dDown (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $rowEnd (i32.add (local.get $i) (local.get $X)))
      (block $vd (loop $vl
        (br_if $vd (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $rowEnd)))
        (local.set $z (i32x4.eq (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero offset=720896 (local.get $i))))
          (v128.const i32x4 0 0 0 0)))
        (local.set $bgv (v128.or (local.get $bgv) (local.get $z)))
        (v128.store offset=786432 (i32.shl (local.get $i) (i32.const 2))
          (v128.andnot
            (i32x4.min_s (i32x4.add (v128.load offset=786432 (i32.shl (i32.sub (local.get $i) (local.get $X)) (i32.const 2))) (v128.const i32x4 1 1 1 1))
              (v128.const i32x4 32768 32768 32768 32768))
            (local.get $z)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s (local.get $i) (local.get $rowEnd)))
        (if (i32.load8_u offset=720896 (local.get $i))
          (then
            (local.set $v (i32.add (i32.load offset=786432 (i32.shl (i32.sub (local.get $i) (local.get $X)) (i32.const 2))) (i32.const 1)))
            (i32.store offset=786432 (i32.shl (local.get $i) (i32.const 2))
              (select (i32.const 32768) (local.get $v) (i32.gt_s (local.get $v) (i32.const 32768)))))
          (else (i32.store offset=786432 (i32.shl (local.get $i) (i32.const 2)) (i32.const 0)) (local.set $bg (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sl)))
      (br $down)))
    (if (i32.eqz (i32.or (local.get $bg) (v128.any_true (local.get $bgv)))) (then (return (i32.const 0))))
    ;; Upward: the nearest background voxel below, where nearer (rows bottom to top).
    (local.set $y (i32.sub (local.get $Y) (i32.const 2)))
    (block $dUp (loop $up
      (br_if $dUp (i32.lt_s (local.get $y) (i32.const 0)))
      (local.set $i (i32.mul (local.get $y) (local.get $X)))
      (local.set $rowEnd (i32.add (local.get $i) (local.get $X)))
      (block $vu (loop $vul
        (br_if $vu (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $rowEnd)))
        (v128.store offset=786432 (i32.shl (local.get $i) (i32.const 2))
          (i32x4.min_s (v128.load offset=786432 (i32.shl (local.get $i) (i32.const 2)))
            (i32x4.add (v128.load offset=786432 (i32.shl (i32.add (local.get $i) (local.get $X)) (i32.const 2))) (v128.const i32x4 1 1 1 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vul)))
      (block $su (loop $sul
        (br_if $su (i32.ge_s (local.get $i) (local.get $rowEnd)))
        (local.set $v (i32.add (i32.load offset=786432 (i32.shl (i32.add (local.get $i) (local.get $X)) (i32.const 2))) (i32.const 1)))
        (if (i32.lt_s (local.get $v) (i32.load offset=786432 (i32.shl (local.get $i) (i32.const 2))))
          (then (i32.store offset=786432 (i32.shl (local.get $i) (i32.const 2)) (local.get $v))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sul)))
      (local.set $y (i32.sub (local.get $y) (i32.const 1)))
      (br $up)))
    ;; Phase 2, along each row: the lower envelope of the parabolas (x − u)² + h(u)².
    ;; top = h², h = (min(Y, X) − 1) >> 1
    (local.set $top (i32.shr_s (i32.sub (select (local.get $Y) (local.get $X) (i32.lt_s (local.get $Y) (local.get $X))) (i32.const 1)) (i32.const 1)))
    (local.set $top (i32.mul (local.get $top) (local.get $top)))
    (local.set $y (i32.const 0))
    (block $dRows (loop $rows
      (br_if $dRows (i32.ge_s (local.get $y) (local.get $Y)))
      (local.set $row (i32.mul (local.get $y) (local.get $X)))
      (local.set $first (i32.const 0))
      (block $fd (loop $fl
        (br_if $fd (i32.ge_s (local.get $first) (local.get $X)))
        (br_if $fd (i32.load8_u offset=720896 (i32.add (local.get $row) (local.get $first))))
        (local.set $first (i32.add (local.get $first) (i32.const 1)))
        (br $fl)))
      (if (i32.eq (local.get $first) (local.get $X))
        (then (memory.fill (i32.add (i32.const 458752) (i32.shl (local.get $row) (i32.const 2))) (i32.const 0) (i32.shl (local.get $X) (i32.const 2))))
        (else
          (local.set $last (i32.sub (local.get $X) (i32.const 1)))
          (block $ld (loop $ll
            (br_if $ld (i32.load8_u offset=720896 (i32.add (local.get $row) (local.get $last))))
            (local.set $last (i32.sub (local.get $last) (i32.const 1)))
            (br $ll)))
          (local.set $x0 (select (i32.sub (local.get $first) (i32.const 1)) (i32.const 0) (i32.gt_s (local.get $first) (i32.const 0))))
          (local.set $x1 (select (i32.add (local.get $last) (i32.const 2)) (local.get $X) (i32.lt_s (local.get $last) (i32.sub (local.get $X) (i32.const 1)))))
          (memory.fill (i32.add (i32.const 458752) (i32.shl (local.get $row) (i32.const 2))) (i32.const 0) (i32.shl (local.get $x0) (i32.const 2)))
          (memory.fill (i32.add (i32.const 458752) (i32.shl (i32.add (local.get $row) (local.get $x1)) (i32.const 2))) (i32.const 0)
            (i32.shl (i32.sub (local.get $X) (local.get $x1)) (i32.const 2)))
          (local.set $m (i32.sub (local.get $x1) (local.get $x0)))
          ;; f[u] = h² of the stretch
          (local.set $u (i32.const 0))
          (block $sqd (loop $sql
            (br_if $sqd (i32.ge_s (local.get $u) (local.get $m)))
            (local.set $v (i32.load offset=786432 (i32.shl (i32.add (i32.add (local.get $row) (local.get $x0)) (local.get $u)) (i32.const 2))))
            (i32.store offset=65536 (i32.shl (local.get $u) (i32.const 2)) (i32.mul (local.get $v) (local.get $v)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $sql)))
          (local.set $q (i32.const 0))
          (i32.store offset=81920 (i32.const 0) (i32.const 0))
          (i32.store offset=98304 (i32.const 0) (i32.const 0))
          (local.set $u (i32.const 1))
          (block $ed (loop $el
            (br_if $ed (i32.ge_s (local.get $u) (local.get $m)))
            (local.set $fu (i32.load offset=65536 (i32.shl (local.get $u) (i32.const 2))))
            ;; drop the parabolas that u's lies below at the start of their segment
            (block $pd (loop $pl
              (br_if $pd (i32.lt_s (local.get $q) (i32.const 0)))
              (local.set $p (i32.load offset=81920 (i32.shl (local.get $q) (i32.const 2))))
              (local.set $w (i32.load offset=98304 (i32.shl (local.get $q) (i32.const 2))))
              (local.set $a (i32.sub (local.get $w) (local.get $p)))
              (local.set $b (i32.sub (local.get $w) (local.get $u)))
              (br_if $pd (i32.le_s
                (i32.add (i32.mul (local.get $a) (local.get $a)) (i32.load offset=65536 (i32.shl (local.get $p) (i32.const 2))))
                (i32.add (i32.mul (local.get $b) (local.get $b)) (local.get $fu))))
              (local.set $q (i32.sub (local.get $q) (i32.const 1)))
              (br $pl)))
            (if (i32.lt_s (local.get $q) (i32.const 0))
              (then
                (local.set $q (i32.const 0))
                (i32.store offset=81920 (i32.const 0) (local.get $u)))
              (else
                ;; Meijster's Sep(s[q], u) + 1: floor(num / den) (den > 0) as an integer division corrected toward
                ;; -infinity = JavaScript's Math.floor(num / den) of the same integers (|num| < 2^31, den <= 2^13: the
                ;; float quotient never rounds across an integer), with a shorter latency than the float division on
                ;; this loop's dependency chain
                (local.set $p (i32.load offset=81920 (i32.shl (local.get $q) (i32.const 2))))
                (local.set $a (i32.sub (i32.add (i32.sub (i32.mul (local.get $u) (local.get $u)) (i32.mul (local.get $p) (local.get $p))) (local.get $fu))
                  (i32.load offset=65536 (i32.shl (local.get $p) (i32.const 2)))))
                (local.set $b (i32.shl (i32.sub (local.get $u) (local.get $p)) (i32.const 1)))
                (local.set $k (i32.div_s (local.get $a) (local.get $b)))
                (local.set $w (i32.sub (i32.add (i32.const 1) (local.get $k))
                  (i32.lt_s (i32.sub (local.get $a) (i32.mul (local.get $k) (local.get $b))) (i32.const 0))))
                (if (i32.lt_s (local.get $w) (local.get $m)) (then
                  (local.set $q (i32.add (local.get $q) (i32.const 1)))
                  (i32.store offset=81920 (i32.shl (local.get $q) (i32.const 2)) (local.get $u))
                  (i32.store offset=98304 (i32.shl (local.get $q) (i32.const 2)) (local.get $w))))))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $el)))
          ;; roots (and ranks) from the envelope, right to left
          (local.set $u (i32.sub (local.get $m) (i32.const 1)))
          (local.set $p (i32.load offset=81920 (i32.shl (local.get $q) (i32.const 2))))
          (local.set $w (i32.load offset=98304 (i32.shl (local.get $q) (i32.const 2))))
          (local.set $sq (i32.load offset=65536 (i32.shl (local.get $p) (i32.const 2))))
          (block $od (loop $ol
            (br_if $od (i32.lt_s (local.get $u) (i32.const 0)))
            (local.set $a (i32.sub (local.get $u) (local.get $p)))
            (local.set $k (i32.add (i32.mul (local.get $a) (local.get $a)) (local.get $sq)))
            (local.set $i (i32.add (i32.add (local.get $row) (local.get $x0)) (local.get $u)))
            (f32.store offset=458752 (i32.shl (local.get $i) (i32.const 2)) (f32.demote_f64 (f64.sqrt (f64.convert_i32_s (local.get $k)))))
            (if (local.get $withRanks) (then
              (i32.store offset=1048576 (i32.shl (local.get $i) (i32.const 2)) (i32.sub (local.get $top) (local.get $k)))))
            (if (i32.eq (local.get $u) (local.get $w)) (then
              (local.set $q (i32.sub (local.get $q) (i32.const 1)))
              (if (i32.ge_s (local.get $q) (i32.const 0)) (then
                (local.set $p (i32.load offset=81920 (i32.shl (local.get $q) (i32.const 2))))
                (local.set $w (i32.load offset=98304 (i32.shl (local.get $q) (i32.const 2))))
                (local.set $sq (i32.load offset=65536 (i32.shl (local.get $p) (i32.const 2))))))))
            (local.set $u (i32.sub (local.get $u) (i32.const 1)))
            (br $ol)))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $rows)))
    (i32.const 1))

  ;; watershed.ts `floodInteriorPlane`: the same queue, the same pops in the same order, the 8 neighbours in the
  ;; same order (in-mask voxels are all interior: no bounds tests).
  (func (export "floodInteriorPlane") (param $u i32) (param $X i32) (param $n i32)
    (local $i i32) (local $j i32) (local $lab i32) (local $c i32) (local $b i32)
    (memory.fill (i32.const 2097152) (i32.const 255) (i32.shl (local.get $u) (i32.const 2)))
    (local.set $c (local.get $u)) ;; cur: the lowest rank that may hold a voxel
    (local.set $i (i32.const 0))
    (block $initDone (loop $init
      (br_if $initDone (i32.ge_s (local.get $i) (local.get $n)))
      (if (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))) (then
        (if (i32.load8_u offset=720896 (local.get $i))
          (then (local.set $b (i32.load offset=1310720 (i32.shl (local.get $i) (i32.const 2))))
          (i32.store offset=1835008 (i32.shl (local.get $i) (i32.const 2)) (i32.const -1))
          (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0))
            (then (i32.store offset=2097152 (i32.shl (local.get $b) (i32.const 2)) (local.get $i)))
            (else (i32.store offset=1835008 (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)) (local.get $i))))
          (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $i))
          (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b)))))
          (else (i32.store offset=1572864 (i32.shl (local.get $i) (i32.const 2)) (i32.const 0))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $init)))
    (loop $pop
      ;; while (cur < u && head[cur] < 0) cur++
      (block $found (loop $scan
        (br_if $found (i32.ge_s (local.get $c) (local.get $u)))
        (br_if $found (i32.ge_s (i32.load offset=2097152 (i32.shl (local.get $c) (i32.const 2))) (i32.const 0)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $scan)))
      (if (i32.eq (local.get $c) (local.get $u)) (then (return)))
      (local.set $i (i32.load offset=2097152 (i32.shl (local.get $c) (i32.const 2))))
      (i32.store offset=2097152 (i32.shl (local.get $c) (i32.const 2)) (i32.load offset=1835008 (i32.shl (local.get $i) (i32.const 2))))
      (local.set $lab (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
      (local.set $j (i32.sub (i32.sub (local.get $i) (local.get $X)) (i32.const 1)))
      (if (i32.eqz (i32.load offset=1572864 (i32.shl (local.get $j) (i32.const 2)))) (then
        (if (i32.load8_u offset=720896 (local.get $j)) (then
          (i32.store offset=1572864 (i32.shl (local.get $j) (i32.const 2)) (local.get $lab))
          (local.set $b (i32.load offset=1310720 (i32.shl (local.get $j) (i32.const 2))))
          (i32.store offset=1835008 (i32.shl (local.get $j) (i32.const 2)) (i32.const -1))
          (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0))
            (then (i32.store offset=2097152 (i32.shl (local.get $b) (i32.const 2)) (local.get $j)))
            (else (i32.store offset=1835008 (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)) (local.get $j))))
          (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $j))
          (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b))))))))
      (local.set $j (i32.sub (local.get $i) (local.get $X)))
      (if (i32.eqz (i32.load offset=1572864 (i32.shl (local.get $j) (i32.const 2)))) (then
        (if (i32.load8_u offset=720896 (local.get $j)) (then
          (i32.store offset=1572864 (i32.shl (local.get $j) (i32.const 2)) (local.get $lab))
          (local.set $b (i32.load offset=1310720 (i32.shl (local.get $j) (i32.const 2))))
          (i32.store offset=1835008 (i32.shl (local.get $j) (i32.const 2)) (i32.const -1))
          (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0))
            (then (i32.store offset=2097152 (i32.shl (local.get $b) (i32.const 2)) (local.get $j)))
            (else (i32.store offset=1835008 (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)) (local.get $j))))
          (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $j))
          (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b))))))))
      (local.set $j (i32.add (i32.sub (local.get $i) (local.get $X)) (i32.const 1)))
      (if (i32.eqz (i32.load offset=1572864 (i32.shl (local.get $j) (i32.const 2)))) (then
        (if (i32.load8_u offset=720896 (local.get $j)) (then
          (i32.store offset=1572864 (i32.shl (local.get $j) (i32.const 2)) (local.get $lab))
          (local.set $b (i32.load offset=1310720 (i32.shl (local.get $j) (i32.const 2))))
          (i32.store offset=1835008 (i32.shl (local.get $j) (i32.const 2)) (i32.const -1))
          (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0))
            (then (i32.store offset=2097152 (i32.shl (local.get $b) (i32.const 2)) (local.get $j)))
            (else (i32.store offset=1835008 (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)) (local.get $j))))
          (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $j))
          (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b))))))))
      (local.set $j (i32.sub (local.get $i) (i32.const 1)))
      (if (i32.eqz (i32.load offset=1572864 (i32.shl (local.get $j) (i32.const 2)))) (then
        (if (i32.load8_u offset=720896 (local.get $j)) (then
          (i32.store offset=1572864 (i32.shl (local.get $j) (i32.const 2)) (local.get $lab))
          (local.set $b (i32.load offset=1310720 (i32.shl (local.get $j) (i32.const 2))))
          (i32.store offset=1835008 (i32.shl (local.get $j) (i32.const 2)) (i32.const -1))
          (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0))
            (then (i32.store offset=2097152 (i32.shl (local.get $b) (i32.const 2)) (local.get $j)))
            (else (i32.store offset=1835008 (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)) (local.get $j))))
          (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $j))
          (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b))))))))
      (local.set $j (i32.add (local.get $i) (i32.const 1)))
      (if (i32.eqz (i32.load offset=1572864 (i32.shl (local.get $j) (i32.const 2)))) (then
        (if (i32.load8_u offset=720896 (local.get $j)) (then
          (i32.store offset=1572864 (i32.shl (local.get $j) (i32.const 2)) (local.get $lab))
          (local.set $b (i32.load offset=1310720 (i32.shl (local.get $j) (i32.const 2))))
          (i32.store offset=1835008 (i32.shl (local.get $j) (i32.const 2)) (i32.const -1))
          (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0))
            (then (i32.store offset=2097152 (i32.shl (local.get $b) (i32.const 2)) (local.get $j)))
            (else (i32.store offset=1835008 (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)) (local.get $j))))
          (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $j))
          (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b))))))))
      (local.set $j (i32.sub (i32.add (local.get $i) (local.get $X)) (i32.const 1)))
      (if (i32.eqz (i32.load offset=1572864 (i32.shl (local.get $j) (i32.const 2)))) (then
        (if (i32.load8_u offset=720896 (local.get $j)) (then
          (i32.store offset=1572864 (i32.shl (local.get $j) (i32.const 2)) (local.get $lab))
          (local.set $b (i32.load offset=1310720 (i32.shl (local.get $j) (i32.const 2))))
          (i32.store offset=1835008 (i32.shl (local.get $j) (i32.const 2)) (i32.const -1))
          (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0))
            (then (i32.store offset=2097152 (i32.shl (local.get $b) (i32.const 2)) (local.get $j)))
            (else (i32.store offset=1835008 (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)) (local.get $j))))
          (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $j))
          (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b))))))))
      (local.set $j (i32.add (local.get $i) (local.get $X)))
      (if (i32.eqz (i32.load offset=1572864 (i32.shl (local.get $j) (i32.const 2)))) (then
        (if (i32.load8_u offset=720896 (local.get $j)) (then
          (i32.store offset=1572864 (i32.shl (local.get $j) (i32.const 2)) (local.get $lab))
          (local.set $b (i32.load offset=1310720 (i32.shl (local.get $j) (i32.const 2))))
          (i32.store offset=1835008 (i32.shl (local.get $j) (i32.const 2)) (i32.const -1))
          (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0))
            (then (i32.store offset=2097152 (i32.shl (local.get $b) (i32.const 2)) (local.get $j)))
            (else (i32.store offset=1835008 (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)) (local.get $j))))
          (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $j))
          (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b))))))))
      (local.set $j (i32.add (i32.add (local.get $i) (local.get $X)) (i32.const 1)))
      (if (i32.eqz (i32.load offset=1572864 (i32.shl (local.get $j) (i32.const 2)))) (then
        (if (i32.load8_u offset=720896 (local.get $j)) (then
          (i32.store offset=1572864 (i32.shl (local.get $j) (i32.const 2)) (local.get $lab))
          (local.set $b (i32.load offset=1310720 (i32.shl (local.get $j) (i32.const 2))))
          (i32.store offset=1835008 (i32.shl (local.get $j) (i32.const 2)) (i32.const -1))
          (if (i32.lt_s (i32.load offset=2097152 (i32.shl (local.get $b) (i32.const 2))) (i32.const 0))
            (then (i32.store offset=2097152 (i32.shl (local.get $b) (i32.const 2)) (local.get $j)))
            (else (i32.store offset=1835008 (i32.shl (i32.load offset=2359296 (i32.shl (local.get $b) (i32.const 2))) (i32.const 2)) (local.get $j))))
          (i32.store offset=2359296 (i32.shl (local.get $b) (i32.const 2)) (local.get $j))
          (if (i32.lt_s (local.get $b) (local.get $c)) (then (local.set $c (local.get $b))))))))
      (br $pop)))

  ;; peaks.ts step 1 on the interior voxels of a plane (rows 1..Y-2, columns 1..X-2), four at a time: region
  ;; voxels with a value > 0 and no larger value among their 8 neighbours of the same region. Writes their indices
  ;; in raster order and returns how many.
  (func (export "peakCandidates") (param $Y i32) (param $X i32) (result i32)
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

  ;; merge-shallow.ts `mergeShallowBasins`' scan of a plane (labels < 64, one or two maps): voxel counts, peaks
  ;; per label and map, and the boundary pairs' statistics in first-seen order. Returns the number of pairs.
  (func (export "mergeScan") (param $Y i32) (param $X i32) (param $k i32) (param $nc i32) (result i32)
    (local $y i32) (local $x i32) (local $i i32) (local $a i32) (local $b i32) (local $np i32) (local $pa i32) (local $v f64)
    (local.set $np (i32.const 0))
    (memory.fill (i32.const 2097152) (i32.const 255) (i32.const 16384))
    (memory.fill (i32.const 786432) (i32.const 0) (i32.shl (i32.add (local.get $k) (i32.const 1)) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s (local.get $i) (i32.mul (i32.add (local.get $k) (i32.const 1)) (local.get $nc))))
      (f64.store offset=788480 (i32.shl (local.get $i) (i32.const 3)) (f64.const -inf))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $pl)))
    (local.set $i (i32.const 0))
    (local.set $y (i32.const 0))
    (block $yd (loop $yl
      (br_if $yd (i32.ge_s (local.get $y) (local.get $Y)))
      (local.set $x (i32.const 0))
      (block $xd (loop $xl
        (br_if $xd (i32.ge_s (local.get $x) (local.get $X)))
        (local.set $a (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
        (if (local.get $a) (then
          (f64.store offset=786432 (i32.shl (local.get $a) (i32.const 3))
            (f64.add (f64.load offset=786432 (i32.shl (local.get $a) (i32.const 3))) (f64.const 1)))
          (local.set $pa (i32.shl (i32.mul (local.get $a) (local.get $nc)) (i32.const 3)))
          (local.set $v (f64.promote_f32 (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2)))))
          (if (f64.gt (local.get $v) (f64.load offset=788480 (local.get $pa))) (then (f64.store offset=788480 (local.get $pa) (local.get $v))))
          (if (i32.gt_s (local.get $nc) (i32.const 1)) (then
            (local.set $v (f64.promote_f32 (f32.load offset=458752 (i32.shl (local.get $i) (i32.const 2)))))
            (if (f64.gt (local.get $v) (f64.load offset=788488 (local.get $pa))) (then (f64.store offset=788488 (local.get $pa) (local.get $v))))))
          (if (i32.lt_s (i32.add (local.get $x) (i32.const 1)) (local.get $X)) (then
            (local.set $b (i32.load offset=1572868 (i32.shl (local.get $i) (i32.const 2))))
            (if (i32.and (i32.ne (local.get $b) (i32.const 0)) (i32.ne (local.get $b) (local.get $a))) (then
              (local.set $np (call $see (local.get $a) (local.get $b) (local.get $i) (i32.add (local.get $i) (i32.const 1)) (local.get $nc) (local.get $np)))))))
          (if (i32.lt_s (i32.add (local.get $y) (i32.const 1)) (local.get $Y)) (then
            (local.set $b (i32.load offset=1572864 (i32.shl (i32.add (local.get $i) (local.get $X)) (i32.const 2))))
            (if (i32.and (i32.ne (local.get $b) (i32.const 0)) (i32.ne (local.get $b) (local.get $a))) (then
              (local.set $np (call $see (local.get $a) (local.get $b) (local.get $i) (i32.add (local.get $i) (local.get $X)) (local.get $nc) (local.get $np)))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $xl)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $yl)))
    (local.get $np))

  ;; watershed.ts `integerRanks(image, mask, n, rank, negate = true)`: when every in-mask value of VALS is an integer
  ;; (finite, its own truncation) and their range is below n, the ranks max − v of the in-mask voxels (into the
  ;; flood's ranks) and the number of ranks; 0 without an in-mask voxel; −1 otherwise (ranks partly written).
  (func (export "negatedIntegerRanks") (param $n i32) (result i32)
    (local $i i32) (local $v f32) (local $lo f64) (local $hi f64) (local $d f64)
    (local.set $lo (f64.const inf))
    (local.set $hi (f64.const -inf))
    (block $done (loop $scan
      (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
      (if (i32.load8_u offset=720896 (local.get $i)) (then
        (local.set $v (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
        (if (i32.eqz (i32.and (f32.eq (f32.trunc (local.get $v)) (local.get $v)) (f32.eq (f32.sub (local.get $v) (local.get $v)) (f32.const 0))))
          (then (return (i32.const -1))))
        (local.set $d (f64.promote_f32 (local.get $v)))
        (if (f64.lt (local.get $d) (local.get $lo)) (then (local.set $lo (local.get $d))))
        (if (f64.gt (local.get $d) (local.get $hi)) (then (local.set $hi (local.get $d))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $scan)))
    (if (f64.eq (local.get $lo) (f64.const inf)) (then (return (i32.const 0))))
    (if (f64.ge (f64.sub (local.get $hi) (local.get $lo)) (f64.convert_i32_s (local.get $n))) (then (return (i32.const -1))))
    (local.set $i (i32.const 0))
    (block $rDone (loop $ranks
      (br_if $rDone (i32.ge_s (local.get $i) (local.get $n)))
      (if (i32.load8_u offset=720896 (local.get $i)) (then
        (i32.store offset=1310720 (i32.shl (local.get $i) (i32.const 2))
          (i32.trunc_f64_s (f64.sub (local.get $hi) (f64.promote_f32 (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2)))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $ranks)))
    (i32.trunc_f64_s (f64.add (f64.sub (local.get $hi) (local.get $lo)) (f64.const 1))))

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
  (func (export "hullPixels") (param $qStart i32) (param $qEnd i32) (result f64)
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
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
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
)
