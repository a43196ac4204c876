;; Declumping's per-clump kernels in WebAssembly (declump-wasm.ts; scripts/build-declump-wasm.mjs assembles this
;; file, with the declump-kernels-*.wat files at their "@include" lines, into declump-kernels-wasm.ts). Every float is formed exactly as in the JavaScript kernels (same
;; operations, same order, f64 sums of f32 inputs rounded to f32 once at the end), so the results are the same to
;; the last bit; SIMD only computes two neighbouring voxels' sums side by side (f64x2 lanes are IEEE doubles).
;;
;; Fixed memory (256 pages, no growth; planes of at most 65 536 voxels, 16 384 rows, 64 taps):
;;   KY 0 (f64 taps)   KX 512 (f64 taps)   FROM 65536 (i32 per row)   TO 131072 (i32 per row)
;;   VALS 196608 (f32 plane)   OUT 458752 (f32 plane)   NEED 720896 (u8 plane)   A 786432 (f64 plane)
;; The distance transform reuses them: mask in NEED, distances in OUT, H (i32 plane) at 786432, ranks (i32 plane)
;; at 1048576, the envelope's F, S, T (i32, rows of at most 4096) at 65536, 81920, 98304.
;; Peak candidates: values in VALS, regions (u32) at 1572864, candidate indices (i32) out at 1310720.
;; Basin merging's scan: labels (u32) at 1572864, maps (f32) in VALS and OUT; per label (< 64) voxel counts (f64) at
;; 786432 and peaks (f64, label · nc + c) at 788480; per pair slot (lo · 64 + hi) 3·nc f64 at 1835008, its
;; first-seen number (i32, −1 = unseen) at 2097152, the slots in first-seen order (i32) at 2113536.
;; The flood: mask in NEED, ranks (i32) at 1310720, labels (u32) 1572864, NEXT 1835008, HEAD 2097152, TAIL 2359296.
;; Whole-image run passes (declump-kernels-runs.wat): 3407872 … 8519680, layout there.
;; Per-file scratch above that (layout in each file): declump-kernels-peaks.wat 8519680 … 11272192,
;; declump-kernels-merge.wat and -watershed.wat 11272192 … 14024704, declump-kernels-box.wat 14024704 … 16777216.
;; Any-spacing plane distance transform (declump-kernels-edt.wat): NEED, OUT, A and scratch in the peaks' region.
(module
  (memory (export "memory") 256 256)

  ;; masked-smooth.ts `smoothPlane` without a mask (normalised): the y pass into A over each row's needed x range
  ;; [FROM, TO) widened by hx, then the x pass into OUT (0 outside [FROM, TO) and, with $needed, where NEED is 0).
  (func $smoothPlane (export "smoothPlane") (param $Y i32) (param $X i32) (param $hy i32) (param $hx i32)
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
  ;; integers, roots (of pixel2 · k) and ranks. Returns 0 (nothing meaningful written) when the plane has no background voxel.
  (func $unitPlaneDT (export "unitPlaneDT") (param $Y i32) (param $X i32) (param $withRanks i32) (param $pixel2 f64) (result i32)
    (local $n i32) (local $i i32) (local $x i32) (local $y i32) (local $rowEnd i32) (local $bg i32) (local $bgv v128)
    (local $z v128) (local $v i32) (local $row i32) (local $first i32) (local $last i32) (local $x0 i32) (local $x1 i32)
    (local $m i32) (local $u i32) (local $q i32) (local $fu i32) (local $a i32) (local $b i32) (local $p i32)
    (local $w i32) (local $k i32) (local $top i32) (local $sq i32)
    (local $mh i32) (local $lo i32) (local $hi i32) (local $t i32) (local $best v128) (local $dv v128) (local $hv v128)
    (local $p2v v128)
    ;; distances fround(√fl(pixel2 · k)) for square pixels of side s (pixel2 = s²; 1 = unit pixels, exact k)
    (local.set $p2v (f64x2.splat (local.get $pixel2)))
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
      (block $rowDone
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
          (local.set $mh (i32.const 0))
          (block $sqd (loop $sql
            (br_if $sqd (i32.ge_s (local.get $u) (local.get $m)))
            (local.set $v (i32.load offset=786432 (i32.shl (i32.add (i32.add (local.get $row) (local.get $x0)) (local.get $u)) (i32.const 2))))
            (i32.store offset=65536 (i32.shl (local.get $u) (i32.const 2)) (i32.mul (local.get $v) (local.get $v)))
            (local.set $mh (select (local.get $v) (local.get $mh) (i32.gt_s (local.get $v) (local.get $mh))))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $sql)))
          ;; A row whose column distances h are all small (a clump's rows): each voxel's minimum over u of
          ;; (x − u)² + f[u] taken outward from x (offsets t = 0, 1, …), four voxels side by side, instead of the
          ;; envelope, whose pops and division make a chain of unpredictable branches. The search stops once (t + 1)²
          ;; reaches every lane's minimum (no farther u can lower it; by t = h(x) at the latest, as f[x] = h(x)²), so
          ;; the minimum is the envelope's: the same integers. f is copied with 64 entries of 0x3f3f3f3f on each side
          ;; (beyond the stretch: never a minimum) to PF = 82176, in the envelope's S and T space, unused here (u − t < 0:
          ;; the address is PF + 4 (u − t), not an offset, which must not be negative).
          ;; Limit h <= 60: within the pads (t <= h; larger h: the envelope).
          (if (i32.le_s (local.get $mh) (i32.const 60)) (then
            (memory.fill (i32.const 81920) (i32.const 0x3f) (i32.const 256))
            (memory.copy (i32.const 82176) (i32.const 65536) (i32.shl (local.get $m) (i32.const 2)))
            (memory.fill (i32.add (i32.const 82176) (i32.shl (local.get $m) (i32.const 2))) (i32.const 0x3f) (i32.const 256))
            (local.set $u (i32.const 0))
            (block $gd (loop $gl
              (br_if $gd (i32.gt_s (i32.add (local.get $u) (i32.const 4)) (local.get $m)))
              (local.set $best (v128.load offset=82176 (i32.shl (local.get $u) (i32.const 2))))
              (local.set $t (i32.const 1))
              (block $td (loop $tl
                (local.set $dv (i32x4.splat (i32.mul (local.get $t) (local.get $t))))
                (br_if $td (i32x4.all_true (i32x4.le_s (local.get $best) (local.get $dv))))
                (local.set $best (i32x4.min_s (local.get $best)
                  (i32x4.min_s
                    (i32x4.add (v128.load (i32.add (i32.const 82176) (i32.shl (i32.sub (local.get $u) (local.get $t)) (i32.const 2)))) (local.get $dv))
                    (i32x4.add (v128.load offset=82176 (i32.shl (i32.add (local.get $u) (local.get $t)) (i32.const 2))) (local.get $dv)))))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tl)))
              (local.set $i (i32.add (i32.add (local.get $row) (local.get $x0)) (local.get $u)))
              (v128.store offset=458752 (i32.shl (local.get $i) (i32.const 2))
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                  (f32x4.demote_f64x2_zero (f64x2.sqrt (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $best)) (local.get $p2v))))
                  (f32x4.demote_f64x2_zero (f64x2.sqrt (f64x2.mul (f64x2.convert_low_i32x4_s
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $best) (local.get $best))) (local.get $p2v))))))
              (if (local.get $withRanks) (then
                (v128.store offset=1048576 (i32.shl (local.get $i) (i32.const 2)) (i32x4.sub (i32x4.splat (local.get $top)) (local.get $best)))))
              (local.set $u (i32.add (local.get $u) (i32.const 4)))
              (br $gl)))
            ;; the last voxels one by one, the same search
            (block $sd2 (loop $sl2
              (br_if $sd2 (i32.ge_s (local.get $u) (local.get $m)))
              (local.set $k (i32.load offset=82176 (i32.shl (local.get $u) (i32.const 2))))
              (local.set $t (i32.const 1))
              (block $td2 (loop $tl2
                (local.set $w (i32.mul (local.get $t) (local.get $t)))
                (br_if $td2 (i32.le_s (local.get $k) (local.get $w)))
                (local.set $a (i32.add (i32.load (i32.add (i32.const 82176) (i32.shl (i32.sub (local.get $u) (local.get $t)) (i32.const 2)))) (local.get $w)))
                (local.set $k (select (local.get $a) (local.get $k) (i32.lt_s (local.get $a) (local.get $k))))
                (local.set $a (i32.add (i32.load offset=82176 (i32.shl (i32.add (local.get $u) (local.get $t)) (i32.const 2))) (local.get $w)))
                (local.set $k (select (local.get $a) (local.get $k) (i32.lt_s (local.get $a) (local.get $k))))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tl2)))
              (local.set $i (i32.add (i32.add (local.get $row) (local.get $x0)) (local.get $u)))
              (f32.store offset=458752 (i32.shl (local.get $i) (i32.const 2)) (f32.demote_f64 (f64.sqrt (f64.mul (f64.convert_i32_s (local.get $k)) (local.get $pixel2)))))
              (if (local.get $withRanks) (then
                (i32.store offset=1048576 (i32.shl (local.get $i) (i32.const 2)) (i32.sub (local.get $top) (local.get $k)))))
              (local.set $u (i32.add (local.get $u) (i32.const 1)))
              (br $sl2)))
            (br $rowDone)))
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
            (f32.store offset=458752 (i32.shl (local.get $i) (i32.const 2)) (f32.demote_f64 (f64.sqrt (f64.mul (f64.convert_i32_s (local.get $k)) (local.get $pixel2)))))
            (if (local.get $withRanks) (then
              (i32.store offset=1048576 (i32.shl (local.get $i) (i32.const 2)) (i32.sub (local.get $top) (local.get $k)))))
            (if (i32.eq (local.get $u) (local.get $w)) (then
              (local.set $q (i32.sub (local.get $q) (i32.const 1)))
              (if (i32.ge_s (local.get $q) (i32.const 0)) (then
                (local.set $p (i32.load offset=81920 (i32.shl (local.get $q) (i32.const 2))))
                (local.set $w (i32.load offset=98304 (i32.shl (local.get $q) (i32.const 2))))
                (local.set $sq (i32.load offset=65536 (i32.shl (local.get $p) (i32.const 2))))))))
            (local.set $u (i32.sub (local.get $u) (i32.const 1)))
            (br $ol))))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $rows)))
    (i32.const 1))

;; @include declump-kernels-seeds.wat
;; @include declump-kernels-runs.wat
;; @include declump-kernels-peaks.wat
;; @include declump-kernels-merge.wat
;; @include declump-kernels-watershed.wat
;; @include declump-kernels-box.wat
;; @include declump-kernels-edt.wat
)
