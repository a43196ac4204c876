;; Declumping kernels: the exact Euclidean distance transform of a plane with any pixel size (distance-transform.ts
;; `edt` with the root output: what `distanceTransform` runs for a plane of more than one row). Included by
;; declump-kernels.wat (one module, one memory).
;; Inputs and output as unitPlaneDT uses them: mask (u8) in NEED 720896, distances (f32) out in OUT 458752; the
;; squares of the row pass (f64 plane) in A 786432 … 1310720.
;; Per-column envelope scratch (rows ≤ 65 536) in the peaks' region 8519680 … 11272192 (declump-kernels-peaks.wat),
;; which is only scratch inside peaksPlane / smoothPlaneMasked calls, never between calls:
;;   EG 8519680 (f64 g[q] = f[q] + s²q²)   EV 9043968 (i32 v[], roots of the envelope's parabolas)
;;   EZ 9306112 (f64 z[], 65 537: boundaries of their segments) … 9830408.
;; The JavaScript's line arrays f and d are not needed: f[q] is read from A, d[q] is rooted where it is formed.
;; Every f64 operation as in the JavaScript (same operands, order and association), f32 only at the roots' store.

  ;; edt(mask, [1, Y, X], spacing, squares, root) for Y > 1: $sx2 = spacing[2]², $sy2 = spacing[1]² (as the
  ;; JavaScript forms them). Background 0, a plane without background +∞.
  (func $edtPlane (export "edtPlane") (param $Y i32) (param $X i32) (param $sx2 f64) (param $sy2 f64)
    (local $row i32) (local $base i32) (local $x i32) (local $last i32) (local $i i32) (local $dx f64)
    (local $first i32) (local $y0 i32) (local $y1 i32) (local $q i32) (local $k i32) (local $p i32)
    (local $fq f64) (local $gq f64) (local $xv f64) (local $j i32) (local $dq f64) (local $stride i32)
    (local $two f64) (local $a i32)
    ;; ---- pass 1, along x: per row a forward and a backward sweep into A ----
    (local.set $row (i32.const 0))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_s (local.get $row) (local.get $Y)))
      (local.set $base (i32.mul (local.get $row) (local.get $X)))
      ;; out[i] = 0 at background, else last < 0 ? Infinity : x − last
      (local.set $last (i32.const -1))
      (local.set $x (i32.const 0))
      (block $fwdDone (loop $fwd
        (br_if $fwdDone (i32.ge_s (local.get $x) (local.get $X)))
        (local.set $i (i32.add (local.get $base) (local.get $x)))
        (if (i32.load8_u offset=720896 (local.get $i))
          (then
            (f64.store offset=786432 (i32.shl (local.get $i) (i32.const 3))
              (select (f64.const inf) (f64.convert_i32_s (i32.sub (local.get $x) (local.get $last)))
                (i32.lt_s (local.get $last) (i32.const 0)))))
          (else
            (local.set $last (local.get $x))
            (f64.store offset=786432 (i32.shl (local.get $i) (i32.const 3)) (f64.const 0))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $fwd)))
      ;; backward: dx = min(out[i], last − x); out[i] = dx === Infinity ? Infinity : sx2 * dx * dx
      (local.set $last (i32.const -1))
      (local.set $x (i32.sub (local.get $X) (i32.const 1)))
      (block $bwdDone (loop $bwd
        (br_if $bwdDone (i32.lt_s (local.get $x) (i32.const 0)))
        (local.set $i (i32.add (local.get $base) (local.get $x)))
        (if (i32.load8_u offset=720896 (local.get $i))
          (then
            (local.set $a (i32.shl (local.get $i) (i32.const 3)))
            (local.set $dx (f64.load offset=786432 (local.get $a)))
            (if (i32.ge_s (local.get $last) (i32.const 0)) (then
              (if (f64.lt (f64.convert_i32_s (i32.sub (local.get $last) (local.get $x))) (local.get $dx)) (then
                (local.set $dx (f64.convert_i32_s (i32.sub (local.get $last) (local.get $x))))))))
            (f64.store offset=786432 (local.get $a)
              (select (f64.const inf) (f64.mul (f64.mul (local.get $sx2) (local.get $dx)) (local.get $dx))
                (f64.eq (local.get $dx) (f64.const inf)))))
          (else (local.set $last (local.get $x))))
        (local.set $x (i32.sub (local.get $x) (i32.const 1)))
        (br $bwd)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rows)))
    ;; ---- pass 2, along y: the roots of the envelope over each column's stretch into OUT (0 elsewhere) ----
    (memory.fill (i32.const 458752) (i32.const 0) (i32.shl (i32.mul (local.get $Y) (local.get $X)) (i32.const 2)))
    (local.set $stride (i32.shl (local.get $X) (i32.const 3)))
    (local.set $two (f64.mul (f64.const 2) (local.get $sy2)))
    (local.set $x (i32.const 0))
    (block $colsDone (loop $cols
      (br_if $colsDone (i32.ge_s (local.get $x) (local.get $X)))
      (block $colDone
        ;; first and last voxels whose square is not 0; the stretch [y0, y1) one voxel wider on each side
        (local.set $first (i32.const 0))
        (local.set $a (i32.shl (local.get $x) (i32.const 3)))
        (block $fd (loop $fl
          (br_if $fd (i32.ge_s (local.get $first) (local.get $Y)))
          (br_if $fd (f64.ne (f64.load offset=786432 (local.get $a)) (f64.const 0)))
          (local.set $a (i32.add (local.get $a) (local.get $stride)))
          (local.set $first (i32.add (local.get $first) (i32.const 1)))
          (br $fl)))
        (br_if $colDone (i32.eq (local.get $first) (local.get $Y)))
        (local.set $last (i32.sub (local.get $Y) (i32.const 1)))
        (local.set $a (i32.shl (i32.add (i32.mul (local.get $last) (local.get $X)) (local.get $x)) (i32.const 3)))
        (block $ld (loop $ll
          (br_if $ld (f64.ne (f64.load offset=786432 (local.get $a)) (f64.const 0)))
          (local.set $a (i32.sub (local.get $a) (local.get $stride)))
          (local.set $last (i32.sub (local.get $last) (i32.const 1)))
          (br $ll)))
        (local.set $y0 (select (i32.sub (local.get $first) (i32.const 1)) (i32.const 0) (i32.gt_s (local.get $first) (i32.const 0))))
        (local.set $y1 (select (i32.add (local.get $last) (i32.const 2)) (local.get $Y)
          (i32.lt_s (local.get $last) (i32.sub (local.get $Y) (i32.const 1)))))
        ;; envelope1d(sc, y1, sy2, y0): the lower envelope of the parabolas with finite f
        (local.set $k (i32.const -1))
        (local.set $q (local.get $y0))
        (local.set $a (i32.shl (i32.add (i32.mul (local.get $y0) (local.get $X)) (local.get $x)) (i32.const 3)))
        (block $eDone (loop $env
          (br_if $eDone (i32.ge_s (local.get $q) (local.get $y1)))
          (block $next
            (local.set $fq (f64.load offset=786432 (local.get $a)))
            (br_if $next (f64.eq (local.get $fq) (f64.const inf)))
            ;; gq = g[q] = fq + s2 * q * q
            (local.set $gq (f64.add (local.get $fq)
              (f64.mul (f64.mul (local.get $sy2) (f64.convert_i32_s (local.get $q))) (f64.convert_i32_s (local.get $q)))))
            (f64.store offset=8519680 (i32.shl (local.get $q) (i32.const 3)) (local.get $gq))
            (block $push
              (br_if $push (i32.lt_s (local.get $k) (i32.const 0)))
              ;; x = (gq − g[p]) / (2 · s2 · (q − p)), popping the parabolas it hides
              (loop $pop
                (local.set $p (i32.load offset=9043968 (i32.shl (local.get $k) (i32.const 2))))
                (local.set $xv (f64.div
                  (f64.sub (local.get $gq) (f64.load offset=8519680 (i32.shl (local.get $p) (i32.const 3))))
                  (f64.mul (local.get $two) (f64.convert_i32_s (i32.sub (local.get $q) (local.get $p))))))
                (if (f64.le (local.get $xv) (f64.load offset=9306112 (i32.shl (local.get $k) (i32.const 3)))) (then
                  (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                  (br_if $pop (i32.ge_s (local.get $k) (i32.const 0))))))
              (br_if $push (i32.lt_s (local.get $k) (i32.const 0)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (i32.store offset=9043968 (i32.shl (local.get $k) (i32.const 2)) (local.get $q))
              (f64.store offset=9306112 (i32.shl (local.get $k) (i32.const 3)) (local.get $xv))
              (f64.store offset=9306120 (i32.shl (local.get $k) (i32.const 3)) (f64.const inf))
              (br $next))
            ;; k < 0: q's parabola alone
            (local.set $k (i32.const 0))
            (i32.store offset=9043968 (i32.const 0) (local.get $q))
            (f64.store offset=9306112 (i32.const 0) (f64.const -inf))
            (f64.store offset=9306120 (i32.const 0) (f64.const inf)))
          (local.set $a (i32.add (local.get $a) (local.get $stride)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $env)))
        (local.set $q (local.get $y0))
        (local.set $i (i32.add (i32.mul (local.get $y0) (local.get $X)) (local.get $x)))
        (if (i32.lt_s (local.get $k) (i32.const 0)) (then
          ;; no finite sample: d = +∞, root +∞
          (block $iDone (loop $infs
            (br_if $iDone (i32.ge_s (local.get $q) (local.get $y1)))
            (f32.store offset=458752 (i32.shl (local.get $i) (i32.const 2)) (f32.const inf))
            (local.set $i (i32.add (local.get $i) (local.get $X)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $infs)))
          (br $colDone)))
        ;; d[q] = s2 * dq * dq + f[p], p the root of q's segment; root[q] = Math.sqrt(d[q])
        (local.set $j (i32.const 0))
        (block $rDone (loop $roots
          (br_if $rDone (i32.ge_s (local.get $q) (local.get $y1)))
          (block $seg (loop $adv
            (br_if $seg (i32.eqz (f64.lt (f64.load offset=9306120 (i32.shl (local.get $j) (i32.const 3)))
              (f64.convert_i32_s (local.get $q)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $adv)))
          (local.set $p (i32.load offset=9043968 (i32.shl (local.get $j) (i32.const 2))))
          (local.set $dq (f64.convert_i32_s (i32.sub (local.get $q) (local.get $p))))
          (f32.store offset=458752 (i32.shl (local.get $i) (i32.const 2))
            (f32.demote_f64 (f64.sqrt (f64.add (f64.mul (f64.mul (local.get $sy2) (local.get $dq)) (local.get $dq))
              (f64.load offset=786432 (i32.shl (i32.add (i32.mul (local.get $p) (local.get $X)) (local.get $x)) (i32.const 3)))))))
          (local.set $i (i32.add (local.get $i) (local.get $X)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $roots))))
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (br $cols))))
