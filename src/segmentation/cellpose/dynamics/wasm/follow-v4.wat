;; The mask stage's WebAssembly module (the file name is historical): "v4" and "v3" integrations and "diffuse",
;; the flow-error QC's heat diffusion. Each function's arithmetic is documented above it.
;;
;; Cellpose v4 2-D Euler integration (torch grid_sample bilinear, align_corners=False, zero padding,
;; float32 with fused multiply-adds), time-major with exact cycle skipping: the same arithmetic as
;; followBilinearTorch in ../follow-flows.ts (see there for the recipe and the CYCLE note). f32 ops round
;; like Math.fround of the double result; fma(a, b, c) = demote(promote(a)·promote(b) + promote(c)).
;; $trk (byte offset, 0 = off): per point k four i32 at $trk + 16k = min/max of the tap row j0 and min/max of
;; the tap column i0 over every step taken — the pixels whose field values the trajectory read (rows j0..j0+1,
;; columns i0..i0+1), used by the incremental re-thresholding in ../mask-memo.ts.
;; Build: node scripts/build-dynamics-wasm.mjs (needs the `wabt` npm package; output committed).
(module
  (memory (export "memory") 1)
  (func (export "v4") (param $X i32) (param $Y i32) (param $niter i32) (param $n i32)
      (param $hX f32) (param $hY f32)
      (param $im i32) (param $gy i32) (param $gx i32) (param $ta i32) (param $tb i32) (param $tc i32) (param $td i32)
      (param $pow i32) (param $lam i32) (param $stop i32) (param $act i32) (param $trk i32)
    (local $t i32) (local $na i32) (local $keep i32) (local $ai i32) (local $k i32) (local $k4 i32)
    (local $y f32) (local $x f32) (local $ux f32) (local $uy f32) (local $i0 i32) (local $j0 i32)
    (local $w f32) (local $e f32) (local $nn f32) (local $s f32)
    (local $wnw f32) (local $wne f32) (local $wsw f32) (local $wse f32)
    (local $ry f32) (local $rx f32) (local $row i32) (local $p i32)
    (local $st i32) (local $l i32) (local $l8 i32) (local $Xm1 i32) (local $Ym1 i32)
    (local $in0 i32) (local $in1 i32) (local $tp i32)
    (local.set $Xm1 (i32.sub (local.get $X) (i32.const 1)))
    (local.set $Ym1 (i32.sub (local.get $Y) (i32.const 1)))
    (local.set $na (local.get $n))
    (local.set $t (i32.const 0))
    (block $done
      (loop $tl
        (br_if $done (i32.ge_s (local.get $t) (local.get $niter)))
        (br_if $done (i32.eqz (local.get $na)))
        (local.set $keep (i32.const 0))
        (local.set $ai (i32.const 0))
        (block $pd
          (loop $pl
            (br_if $pd (i32.ge_s (local.get $ai) (local.get $na)))
            (local.set $k (i32.load (i32.add (local.get $act) (i32.shl (local.get $ai) (i32.const 2)))))
            (local.set $k4 (i32.shl (local.get $k) (i32.const 2)))
            (local.set $y (f32.load (i32.add (local.get $gy) (local.get $k4))))
            (local.set $x (f32.load (i32.add (local.get $gx) (local.get $k4))))
            (local.set $ux (f32.sub (f32.mul (f32.add (local.get $x) (f32.const 1)) (local.get $hX)) (f32.const 0.5)))
            (local.set $uy (f32.sub (f32.mul (f32.add (local.get $y) (f32.const 1)) (local.get $hY)) (f32.const 0.5)))
            (local.set $i0 (i32.trunc_f32_s (f32.floor (local.get $ux))))
            (local.set $j0 (i32.trunc_f32_s (f32.floor (local.get $uy))))
            (if (local.get $trk)
              (then
                (local.set $tp (i32.add (local.get $trk) (i32.shl (local.get $k) (i32.const 4))))
                (if (i32.lt_s (local.get $j0) (i32.load (local.get $tp))) (then (i32.store (local.get $tp) (local.get $j0))))
                (if (i32.gt_s (local.get $j0) (i32.load offset=4 (local.get $tp))) (then (i32.store offset=4 (local.get $tp) (local.get $j0))))
                (if (i32.lt_s (local.get $i0) (i32.load offset=8 (local.get $tp))) (then (i32.store offset=8 (local.get $tp) (local.get $i0))))
                (if (i32.gt_s (local.get $i0) (i32.load offset=12 (local.get $tp))) (then (i32.store offset=12 (local.get $tp) (local.get $i0))))))
            (local.set $w (f32.sub (local.get $ux) (f32.convert_i32_s (local.get $i0))))
            (local.set $e (f32.sub (f32.const 1) (local.get $w)))
            (local.set $nn (f32.sub (local.get $uy) (f32.convert_i32_s (local.get $j0))))
            (local.set $s (f32.sub (f32.const 1) (local.get $nn)))
            (local.set $wnw (f32.mul (local.get $s) (local.get $e)))
            (local.set $wne (f32.mul (local.get $s) (local.get $w)))
            (local.set $wsw (f32.mul (local.get $nn) (local.get $e)))
            (local.set $wse (f32.mul (local.get $nn) (local.get $w)))
            (local.set $ry (f32.const 0))
            (local.set $rx (f32.const 0))
            (local.set $in0 (i32.and (i32.ge_s (local.get $i0) (i32.const 0)) (i32.le_s (local.get $i0) (local.get $Xm1))))
            (local.set $in1 (i32.and (i32.ge_s (local.get $i0) (i32.const -1)) (i32.lt_s (local.get $i0) (local.get $Xm1))))
            ;; row j0
            (if (i32.and (i32.ge_s (local.get $j0) (i32.const 0)) (i32.le_s (local.get $j0) (local.get $Ym1)))
              (then
                (local.set $row (i32.add (local.get $im) (i32.shl (i32.mul (local.get $j0) (local.get $X)) (i32.const 3))))
                (if (local.get $in0)
                  (then
                    (local.set $p (i32.add (local.get $row) (i32.shl (local.get $i0) (i32.const 3))))
                    (local.set $ry (f32.mul (f32.load (local.get $p)) (local.get $wnw)))
            (local.set $rx (f32.mul (f32.load offset=4 (local.get $p)) (local.get $wnw)))))
                (if (local.get $in1)
                  (then
                    (local.set $p (i32.add (local.get $row) (i32.shl (i32.add (local.get $i0) (i32.const 1)) (i32.const 3))))
                    (local.set $ry (f32.demote_f64 (f64.add (f64.mul (f64.promote_f32 (f32.load (local.get $p))) (f64.promote_f32 (local.get $wne))) (f64.promote_f32 (local.get $ry)))))
            (local.set $rx (f32.demote_f64 (f64.add (f64.mul (f64.promote_f32 (f32.load offset=4 (local.get $p))) (f64.promote_f32 (local.get $wne))) (f64.promote_f32 (local.get $rx)))))))))
            ;; row j0 + 1
            (if (i32.and (i32.ge_s (local.get $j0) (i32.const -1)) (i32.lt_s (local.get $j0) (local.get $Ym1)))
              (then
                (local.set $row (i32.add (local.get $im) (i32.shl (i32.mul (i32.add (local.get $j0) (i32.const 1)) (local.get $X)) (i32.const 3))))
                (if (local.get $in0)
                  (then
                    (local.set $p (i32.add (local.get $row) (i32.shl (local.get $i0) (i32.const 3))))
                    (local.set $ry (f32.demote_f64 (f64.add (f64.mul (f64.promote_f32 (f32.load (local.get $p))) (f64.promote_f32 (local.get $wsw))) (f64.promote_f32 (local.get $ry)))))
            (local.set $rx (f32.demote_f64 (f64.add (f64.mul (f64.promote_f32 (f32.load offset=4 (local.get $p))) (f64.promote_f32 (local.get $wsw))) (f64.promote_f32 (local.get $rx)))))))
                (if (local.get $in1)
                  (then
                    (local.set $p (i32.add (local.get $row) (i32.shl (i32.add (local.get $i0) (i32.const 1)) (i32.const 3))))
                    (local.set $ry (f32.demote_f64 (f64.add (f64.mul (f64.promote_f32 (f32.load (local.get $p))) (f64.promote_f32 (local.get $wse))) (f64.promote_f32 (local.get $ry)))))
            (local.set $rx (f32.demote_f64 (f64.add (f64.mul (f64.promote_f32 (f32.load offset=4 (local.get $p))) (f64.promote_f32 (local.get $wse))) (f64.promote_f32 (local.get $rx)))))))))
            (local.set $y (f32.min (f32.max (f32.add (local.get $y) (local.get $ry)) (f32.const -1)) (f32.const 1)))
            (local.set $x (f32.min (f32.max (f32.add (local.get $x) (local.get $rx)) (f32.const -1)) (f32.const 1)))
            (f32.store (i32.add (local.get $gy) (local.get $k4)) (local.get $y))
            (f32.store (i32.add (local.get $gx) (local.get $k4)) (local.get $x))
            ;; cycle check (stop > niter: still hunting)
            (local.set $st (i32.load (i32.add (local.get $stop) (local.get $k4))))
            (if (i32.gt_s (local.get $st) (local.get $niter))
              (then
                (local.set $l (i32.add (i32.load (i32.add (local.get $lam) (local.get $k4))) (i32.const 1)))
                (local.set $l8 (i32.add (i32.and (local.get $t) (i32.const 7)) (i32.const 1)))
                (if (i32.and
                      (f32.eq (local.get $y) (f32.load (i32.add (local.get $ta) (local.get $k4))))
                      (f32.eq (local.get $x) (f32.load (i32.add (local.get $tb) (local.get $k4)))))
                  (then
                    (local.set $st (i32.add (i32.add (local.get $t) (i32.const 1))
                      (i32.rem_u (i32.sub (i32.sub (local.get $niter) (i32.const 1)) (local.get $t)) (local.get $l))))
                    (i32.store (i32.add (local.get $stop) (local.get $k4)) (local.get $st)))
                  (else
                    (if (i32.and (i32.ge_s (local.get $t) (i32.const 8))
                          (i32.and
                            (f32.eq (local.get $y) (f32.load (i32.add (local.get $tc) (local.get $k4))))
                            (f32.eq (local.get $x) (f32.load (i32.add (local.get $td) (local.get $k4))))))
                      (then
                        (local.set $st (i32.add (i32.add (local.get $t) (i32.const 1))
                          (i32.rem_u (i32.sub (i32.sub (local.get $niter) (i32.const 1)) (local.get $t)) (local.get $l8))))
                        (i32.store (i32.add (local.get $stop) (local.get $k4)) (local.get $st)))
                      (else
                        (if (i32.eq (local.get $l) (i32.load (i32.add (local.get $pow) (local.get $k4))))
                          (then
                            (f32.store (i32.add (local.get $ta) (local.get $k4)) (local.get $y))
                            (f32.store (i32.add (local.get $tb) (local.get $k4)) (local.get $x))
                            (i32.store (i32.add (local.get $pow) (local.get $k4)) (i32.shl (local.get $l) (i32.const 1)))
                            (i32.store (i32.add (local.get $lam) (local.get $k4)) (i32.const 0)))
                          (else
                            (i32.store (i32.add (local.get $lam) (local.get $k4)) (local.get $l))))
                        (if (i32.eq (local.get $l8) (i32.const 8))
                          (then
                            (f32.store (i32.add (local.get $tc) (local.get $k4)) (local.get $y))
                            (f32.store (i32.add (local.get $td) (local.get $k4)) (local.get $x))))
                        (local.set $st (local.get $niter))))))))
            (if (i32.lt_s (i32.add (local.get $t) (i32.const 1)) (local.get $st))
              (then
                (i32.store (i32.add (local.get $act) (i32.shl (local.get $keep) (i32.const 2))) (local.get $k))
                (local.set $keep (i32.add (local.get $keep) (i32.const 1)))))
            (local.set $ai (i32.add (local.get $ai) (i32.const 1)))
            (br $pl)))
        (local.set $na (local.get $keep))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tl))));; Cellpose v3 2-D Euler integration on CPU (numba map_coordinates: pixel units, edge replicate, float32 positions,
;; the products and the sum in double as numba types them): the arithmetic of followBilinearNumba in
;; ../follow-flows.ts, with the same time-major blocks and exact cycle skipping as "v4". Field $im: (dY, dX) per
;; pixel as float32 pairs, F = f(dP/5) on foreground pixels, 0 elsewhere (not rescaled). Positions $gy/$gx in pixels.
  (func (export "v3") (param $X i32) (param $Y i32) (param $niter i32) (param $n i32)
      (param $im i32) (param $gy i32) (param $gx i32) (param $ta i32) (param $tb i32) (param $tc i32) (param $td i32)
      (param $pow i32) (param $lam i32) (param $stop i32) (param $act i32) (param $trk i32)
    (local $t i32) (local $na i32) (local $keep i32) (local $ai i32) (local $k i32) (local $k4 i32)
    (local $y f32) (local $x f32) (local $ux f32) (local $uy f32) (local $i0 i32) (local $j0 i32)
    (local $w f32) (local $e f32) (local $nn f32) (local $s f32)
    (local $wnw f32) (local $wne f32) (local $wsw f32) (local $wse f32)
    (local $ry f32) (local $rx f32) (local $row i32) (local $p i32)
    (local $st i32) (local $l i32) (local $l8 i32) (local $Xm1 i32) (local $Ym1 i32)
    (local $xa i32) (local $ya i32) (local $xb i32) (local $yb i32) (local $fx f32) (local $fy f32)
    (local $fx64 f64) (local $fy64 f64) (local $ox f64) (local $oy f64) (local $paa i32) (local $pab i32) (local $pba i32) (local $pbb i32)
    (local $Xm1f f32) (local $Ym1f f32) (local $tp i32)
    (local.set $Xm1 (i32.sub (local.get $X) (i32.const 1)))
    (local.set $Ym1 (i32.sub (local.get $Y) (i32.const 1)))
    (local.set $Xm1f (f32.convert_i32_s (local.get $Xm1)))
    (local.set $Ym1f (f32.convert_i32_s (local.get $Ym1)))
    (local.set $na (local.get $n))
    (local.set $t (i32.const 0))
    (block $done
      (loop $tl
        (br_if $done (i32.ge_s (local.get $t) (local.get $niter)))
        (br_if $done (i32.eqz (local.get $na)))
        (local.set $keep (i32.const 0))
        (local.set $ai (i32.const 0))
        (block $pd
          (loop $pl
            (br_if $pd (i32.ge_s (local.get $ai) (local.get $na)))
            (local.set $k (i32.load (i32.add (local.get $act) (i32.shl (local.get $ai) (i32.const 2)))))
            (local.set $k4 (i32.shl (local.get $k) (i32.const 2)))
            (local.set $y (f32.load (i32.add (local.get $gy) (local.get $k4))))
            (local.set $x (f32.load (i32.add (local.get $gx) (local.get $k4))))
            ;; v3 sampling (numba map_coordinates, edge replicate, pixel units): see followBilinearNumba
            (local.set $i0 (i32.trunc_f32_s (local.get $x)))
            (local.set $j0 (i32.trunc_f32_s (local.get $y)))
            (local.set $fx (f32.sub (local.get $x) (f32.convert_i32_s (local.get $i0))))
            (local.set $fy (f32.sub (local.get $y) (f32.convert_i32_s (local.get $j0))))
            (local.set $xa (select (local.get $Xm1) (select (i32.const 0) (local.get $i0) (i32.lt_s (local.get $i0) (i32.const 0))) (i32.gt_s (local.get $i0) (local.get $Xm1))))
            (local.set $ya (select (local.get $Ym1) (select (i32.const 0) (local.get $j0) (i32.lt_s (local.get $j0) (i32.const 0))) (i32.gt_s (local.get $j0) (local.get $Ym1))))
            (local.set $xb (select (local.get $Xm1) (i32.add (local.get $xa) (i32.const 1)) (i32.gt_s (i32.add (local.get $xa) (i32.const 1)) (local.get $Xm1))))
            (local.set $yb (select (local.get $Ym1) (i32.add (local.get $ya) (i32.const 1)) (i32.gt_s (i32.add (local.get $ya) (i32.const 1)) (local.get $Ym1))))
            ;; tap box (as "v4"): rows ya..ya+1 and columns xa..xa+1 cover every tap read
            (if (local.get $trk)
              (then
                (local.set $tp (i32.add (local.get $trk) (i32.shl (local.get $k) (i32.const 4))))
                (if (i32.lt_s (local.get $ya) (i32.load (local.get $tp))) (then (i32.store (local.get $tp) (local.get $ya))))
                (if (i32.gt_s (local.get $ya) (i32.load offset=4 (local.get $tp))) (then (i32.store offset=4 (local.get $tp) (local.get $ya))))
                (if (i32.lt_s (local.get $xa) (i32.load offset=8 (local.get $tp))) (then (i32.store offset=8 (local.get $tp) (local.get $xa))))
                (if (i32.gt_s (local.get $xa) (i32.load offset=12 (local.get $tp))) (then (i32.store offset=12 (local.get $tp) (local.get $xa))))))
            (local.set $fy64 (f64.promote_f32 (local.get $fy)))
            (local.set $fx64 (f64.promote_f32 (local.get $fx)))
            (local.set $oy (f64.sub (f64.const 1) (local.get $fy64)))
            (local.set $ox (f64.sub (f64.const 1) (local.get $fx64)))
            (local.set $paa (i32.add (local.get $im) (i32.shl (i32.add (i32.mul (local.get $ya) (local.get $X)) (local.get $xa)) (i32.const 3))))
            (local.set $pab (i32.add (local.get $im) (i32.shl (i32.add (i32.mul (local.get $ya) (local.get $X)) (local.get $xb)) (i32.const 3))))
            (local.set $pba (i32.add (local.get $im) (i32.shl (i32.add (i32.mul (local.get $yb) (local.get $X)) (local.get $xa)) (i32.const 3))))
            (local.set $pbb (i32.add (local.get $im) (i32.shl (i32.add (i32.mul (local.get $yb) (local.get $X)) (local.get $xb)) (i32.const 3))))
            ;; v = f( F_aa·oy·ox + F_ab·oy·fx + f(F_ba·fy)·ox + f(f(F_bb·fy)·fx) ), products and sum in double
            (local.set $ry (f32.demote_f64
              (f64.add
                (f64.add
                  (f64.add
                    (f64.mul (f64.mul (f64.promote_f32 (f32.load (local.get $paa))) (local.get $oy)) (local.get $ox))
                    (f64.mul (f64.mul (f64.promote_f32 (f32.load (local.get $pab))) (local.get $oy)) (local.get $fx64)))
                  (f64.mul (f64.promote_f32 (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.load (local.get $pba))) (local.get $fy64)))) (local.get $ox)))
                (f64.promote_f32 (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.load (local.get $pbb))) (local.get $fy64)))) (local.get $fx64)))))))
            (local.set $rx (f32.demote_f64
              (f64.add
                (f64.add
                  (f64.add
                    (f64.mul (f64.mul (f64.promote_f32 (f32.load offset=4 (local.get $paa))) (local.get $oy)) (local.get $ox))
                    (f64.mul (f64.mul (f64.promote_f32 (f32.load offset=4 (local.get $pab))) (local.get $oy)) (local.get $fx64)))
                  (f64.mul (f64.promote_f32 (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.load offset=4 (local.get $pba))) (local.get $fy64)))) (local.get $ox)))
                (f64.promote_f32 (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.load offset=4 (local.get $pbb))) (local.get $fy64)))) (local.get $fx64)))))))
            (local.set $y (f32.add (local.get $y) (local.get $ry)))
            (local.set $x (f32.add (local.get $x) (local.get $rx)))
            (local.set $y (select (f32.const 0) (select (local.get $Ym1f) (local.get $y) (f32.gt (local.get $y) (local.get $Ym1f))) (f32.lt (local.get $y) (f32.const 0))))
            (local.set $x (select (f32.const 0) (select (local.get $Xm1f) (local.get $x) (f32.gt (local.get $x) (local.get $Xm1f))) (f32.lt (local.get $x) (f32.const 0))))
            (f32.store (i32.add (local.get $gy) (local.get $k4)) (local.get $y))
            (f32.store (i32.add (local.get $gx) (local.get $k4)) (local.get $x))
            ;; cycle check (stop > niter: still hunting)
            (local.set $st (i32.load (i32.add (local.get $stop) (local.get $k4))))
            (if (i32.gt_s (local.get $st) (local.get $niter))
              (then
                (local.set $l (i32.add (i32.load (i32.add (local.get $lam) (local.get $k4))) (i32.const 1)))
                (local.set $l8 (i32.add (i32.and (local.get $t) (i32.const 7)) (i32.const 1)))
                (if (i32.and
                      (f32.eq (local.get $y) (f32.load (i32.add (local.get $ta) (local.get $k4))))
                      (f32.eq (local.get $x) (f32.load (i32.add (local.get $tb) (local.get $k4)))))
                  (then
                    (local.set $st (i32.add (i32.add (local.get $t) (i32.const 1))
                      (i32.rem_u (i32.sub (i32.sub (local.get $niter) (i32.const 1)) (local.get $t)) (local.get $l))))
                    (i32.store (i32.add (local.get $stop) (local.get $k4)) (local.get $st)))
                  (else
                    (if (i32.and (i32.ge_s (local.get $t) (i32.const 8))
                          (i32.and
                            (f32.eq (local.get $y) (f32.load (i32.add (local.get $tc) (local.get $k4))))
                            (f32.eq (local.get $x) (f32.load (i32.add (local.get $td) (local.get $k4))))))
                      (then
                        (local.set $st (i32.add (i32.add (local.get $t) (i32.const 1))
                          (i32.rem_u (i32.sub (i32.sub (local.get $niter) (i32.const 1)) (local.get $t)) (local.get $l8))))
                        (i32.store (i32.add (local.get $stop) (local.get $k4)) (local.get $st)))
                      (else
                        (if (i32.eq (local.get $l) (i32.load (i32.add (local.get $pow) (local.get $k4))))
                          (then
                            (f32.store (i32.add (local.get $ta) (local.get $k4)) (local.get $y))
                            (f32.store (i32.add (local.get $tb) (local.get $k4)) (local.get $x))
                            (i32.store (i32.add (local.get $pow) (local.get $k4)) (i32.shl (local.get $l) (i32.const 1)))
                            (i32.store (i32.add (local.get $lam) (local.get $k4)) (i32.const 0)))
                          (else
                            (i32.store (i32.add (local.get $lam) (local.get $k4)) (local.get $l))))
                        (if (i32.eq (local.get $l8) (i32.const 8))
                          (then
                            (f32.store (i32.add (local.get $tc) (local.get $k4)) (local.get $y))
                            (f32.store (i32.add (local.get $td) (local.get $k4)) (local.get $x))))
                        (local.set $st (local.get $niter))))))))
            (if (i32.lt_s (i32.add (local.get $t) (i32.const 1)) (local.get $st))
              (then
                (i32.store (i32.add (local.get $act) (i32.shl (local.get $keep) (i32.const 2))) (local.get $k))
                (local.set $keep (i32.add (local.get $keep) (i32.const 1)))))
            (local.set $ai (i32.add (local.get $ai) (i32.const 1)))
            (br $pl)))
        (local.set $na (local.get $keep))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tl))));; Heat diffusion of one cell for the flow-error QC (masks-to-flows.ts `diffuse`, same arithmetic): $niter Jacobi
;; steps on a zero-padded H×W box, float64. Each step adds 1 at $centre, then every box pixel pair gets the
;; 9-neighbour sum in the original's order (self, y−1, y+1, x−1, x+1, (−1,−1), (−1,+1), (+1,−1), (+1,+1)),
;; divided by 9 ($v4) or multiplied by 1/9 (v3), ANDed with the pixel's mask (i64: −1 inside the cell, 0
;; outside), so pixels outside the cell stay 0 as in the scalar code. Two pixels per f64x2 lane pair: lane-wise
;; IEEE operations in the same order give the same bits. Buffers $T, $U, $M: H·W 8-byte values + 2 of slack.
;; Returns the buffer holding the final T.
  (func (export "diffuse") (param $T i32) (param $U i32) (param $M i32) (param $H i32) (param $W i32)
      (param $niter i32) (param $centre i32) (param $v4 i32) (result i32)
    (local $t i32) (local $y i32) (local $x i32) (local $a i32) (local $o i32) (local $W8 i32) (local $Wm1 i32)
    (local $Hm1 i32) (local $sw i32) (local $s v128) (local $c9 v128) (local $ninth v128)
    (local.set $W8 (i32.shl (local.get $W) (i32.const 3)))
    (local.set $Wm1 (i32.sub (local.get $W) (i32.const 1)))
    (local.set $Hm1 (i32.sub (local.get $H) (i32.const 1)))
    (local.set $c9 (f64x2.splat (f64.const 9)))
    (local.set $ninth (f64x2.splat (f64.div (f64.const 1) (f64.const 9))))
    (local.set $t (i32.const 0))
    (block $done
      (loop $steps
        (br_if $done (i32.ge_s (local.get $t) (local.get $niter)))
        (local.set $a (i32.add (local.get $T) (i32.shl (local.get $centre) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.const 1)))
        (local.set $y (i32.const 1))
        (block $ydone
          (loop $rows
            (br_if $ydone (i32.ge_s (local.get $y) (local.get $Hm1)))
            (local.set $x (i32.const 1))
            (block $xdone
              (loop $cols
                (br_if $xdone (i32.ge_s (local.get $x) (local.get $Wm1)))
                (local.set $o (i32.shl (i32.add (i32.mul (local.get $y) (local.get $W)) (local.get $x)) (i32.const 3)))
                (local.set $a (i32.add (local.get $T) (local.get $o)))
                (local.set $s (v128.load (local.get $a)))
                (local.set $s (f64x2.add (local.get $s) (v128.load (i32.sub (local.get $a) (local.get $W8)))))
                (local.set $s (f64x2.add (local.get $s) (v128.load (i32.add (local.get $a) (local.get $W8)))))
                (local.set $s (f64x2.add (local.get $s) (v128.load (i32.sub (local.get $a) (i32.const 8)))))
                (local.set $s (f64x2.add (local.get $s) (v128.load offset=8 (local.get $a))))
                (local.set $s (f64x2.add (local.get $s) (v128.load (i32.sub (i32.sub (local.get $a) (local.get $W8)) (i32.const 8)))))
                (local.set $s (f64x2.add (local.get $s) (v128.load offset=8 (i32.sub (local.get $a) (local.get $W8)))))
                (local.set $s (f64x2.add (local.get $s) (v128.load (i32.sub (i32.add (local.get $a) (local.get $W8)) (i32.const 8)))))
                (local.set $s (f64x2.add (local.get $s) (v128.load offset=8 (i32.add (local.get $a) (local.get $W8)))))
                (if (local.get $v4)
                  (then (local.set $s (f64x2.div (local.get $s) (local.get $c9))))
                  (else (local.set $s (f64x2.mul (local.get $ninth) (local.get $s)))))
                (v128.store (i32.add (local.get $U) (local.get $o))
                  (v128.and (local.get $s) (v128.load (i32.add (local.get $M) (local.get $o)))))
                (local.set $x (i32.add (local.get $x) (i32.const 2)))
                (br $cols)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $rows)))
        (local.set $sw (local.get $T))
        (local.set $T (local.get $U))
        (local.set $U (local.get $sw))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $steps)))
    (local.get $T))
)
