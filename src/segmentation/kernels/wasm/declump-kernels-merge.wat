;; Declumping kernels: basin merging (merge-shallow.ts: the scan, the early test, the decisions and the relabelling;
;; wrappers in declump-wasm-merge.ts). Included by declump-kernels.wat (one module, one memory); the watershed's
;; kernels are in declump-kernels-watershed.wat.
;; Scratch of the merge helper's range (bytes 11272192 … 14024704 of the module memory, declump-kernels.wat's memory
;; map), here: ORDER 11272192 (i32 · 4096: the pairs' sorted order)   PARENT 11288576 (i32 · 64)   MAP 11288832
;; (i32 · 64); declump-kernels-watershed.wat uses 11296768 … 12608516.
;; The scan's results (mergeScan): labels (u32) at 1572864, per label voxel counts (f64) at 786432 and peaks (f64,
;; label · nc + c) at 788480, per pair slot (lo · 64 + hi) [highest, sum, count] per map (f64) at 1835008 + 48 · slot,
;; the slots in first-seen order (i32) at 2113536. Voxel counts and peaks are updated in place by the merges.
  ;; merge-shallow.ts `shallowIn`: lower − saddle < (relative ? h · lower : h), in f64.
  (func $mergeShallowIn (param $lower f64) (param $s f64) (param $h f64) (param $rel i32) (result i32)
    (f64.lt (f64.sub (local.get $lower) (local.get $s))
      (select (f64.mul (local.get $h) (local.get $lower)) (local.get $h) (local.get $rel))))

  ;; The union-find root of label $a (path halving, as merge-shallow.ts `find`; the roots do not depend on it).
  (func $mergeRoot (param $a i32) (result i32)
    (local $p i32)
    (block $d (loop $l
      (local.set $p (i32.load offset=11288576 (i32.shl (local.get $a) (i32.const 2))))
      (br_if $d (i32.eq (local.get $p) (local.get $a)))
      (local.set $p (i32.load offset=11288576 (i32.shl (local.get $p) (i32.const 2))))
      (i32.store offset=11288576 (i32.shl (local.get $a) (i32.const 2)) (local.get $p))
      (local.set $a (local.get $p))
      (br $l)))
    (local.get $a))

  ;; Whether pair slot $slot is shallow in every criterion with the peaks of labels $a and $b (nc ≤ 2).
  (func $mergePairShallow (param $slot i32) (param $a i32) (param $b i32) (param $nc i32)
    (param $h0 f64) (param $rel0 i32) (param $h1 f64) (param $rel1 i32) (result i32)
    (local $cur i32)
    (local.set $cur (i32.add (i32.const 1835008) (i32.mul (local.get $slot) (i32.const 48))))
    (if (i32.eqz (call $mergeShallowIn
      (f64.min (f64.load offset=788480 (i32.shl (i32.mul (local.get $a) (local.get $nc)) (i32.const 3)))
        (f64.load offset=788480 (i32.shl (i32.mul (local.get $b) (local.get $nc)) (i32.const 3))))
      (f64.load (local.get $cur)) (local.get $h0) (local.get $rel0)))
      (then (return (i32.const 0))))
    (if (i32.lt_s (local.get $nc) (i32.const 2)) (then (return (i32.const 1))))
    (call $mergeShallowIn
      (f64.min (f64.load offset=788488 (i32.shl (i32.mul (local.get $a) (local.get $nc)) (i32.const 3)))
        (f64.load offset=788488 (i32.shl (i32.mul (local.get $b) (local.get $nc)) (i32.const 3))))
      (f64.load offset=24 (local.get $cur)) (local.get $h1) (local.get $rel1)))

  ;; merge-shallow.ts `mergeShallowBasins` after `mergeScan` (np pairs, nc ≤ 2 maps, labels 1…k, k < 64) of a plane
  ;; of n voxels: the saddles settled (the mean where a criterion asks for it), then
  ;; - $checkOnly: the early test with the maps at hand: 1 when a piece is a fragment (fewer than minVoxels voxels)
  ;;   or a pair is shallow in every criterion, else 0 (no pair: 0);
  ;; - else the merges: pairs from the highest saddle of criterion 0 down (a stable sort: ties in first-seen order,
  ;;   as Array.prototype.sort of the pairs in the Map's order), the union-find, the ids numbered in order and the
  ;;   labels relabelled in place where some merged; returns the number of objects left (k when none merged), or
  ;;   −1 (labels untouched) when a sort key is NaN (the comparator's order is then the JavaScript sort's own).
  (func (export "mergeDecide") (param $k i32) (param $nc i32) (param $np i32) (param $n i32) (param $minVoxels f64)
    (param $h0 f64) (param $rel0 i32) (param $mean0 i32) (param $h1 f64) (param $rel1 i32) (param $mean1 i32)
    (param $checkOnly i32) (result i32)
    (local $p i32) (local $t i32) (local $slot i32) (local $cur i32) (local $a i32) (local $b i32) (local $l i32)
    (local $key f64) (local $ra i32) (local $rb i32) (local $keep i32) (local $gone i32) (local $m i32) (local $i i32)
    ;; settle the saddles
    (block $sd (loop $sl
      (br_if $sd (i32.ge_s (local.get $p) (local.get $np)))
      (local.set $cur (i32.add (i32.const 1835008) (i32.mul (i32.load offset=2113536 (i32.shl (local.get $p) (i32.const 2))) (i32.const 48))))
      (if (local.get $mean0) (then
        (f64.store (local.get $cur) (f64.div (f64.load offset=8 (local.get $cur)) (f64.load offset=16 (local.get $cur))))))
      (if (i32.and (i32.gt_s (local.get $nc) (i32.const 1)) (local.get $mean1)) (then
        (f64.store offset=24 (local.get $cur) (f64.div (f64.load offset=32 (local.get $cur)) (f64.load offset=40 (local.get $cur))))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $sl)))
    (if (i32.eqz (local.get $np)) (then (return (select (i32.const 0) (local.get $k) (local.get $checkOnly)))))
    (if (local.get $checkOnly) (then
      (local.set $l (i32.const 1))
      (block $fd (loop $fl
        (br_if $fd (i32.gt_s (local.get $l) (local.get $k)))
        (if (f64.lt (f64.load offset=786432 (i32.shl (local.get $l) (i32.const 3))) (local.get $minVoxels)) (then (return (i32.const 1))))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $fl)))
      (local.set $p (i32.const 0))
      (block $pd (loop $pl
        (br_if $pd (i32.ge_s (local.get $p) (local.get $np)))
        (local.set $slot (i32.load offset=2113536 (i32.shl (local.get $p) (i32.const 2))))
        (if (call $mergePairShallow (local.get $slot) (i32.shr_u (local.get $slot) (i32.const 6)) (i32.and (local.get $slot) (i32.const 63))
          (local.get $nc) (local.get $h0) (local.get $rel0) (local.get $h1) (local.get $rel1))
          (then (return (i32.const 1))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pl)))
      (return (i32.const 0))))
    ;; the pairs by descending saddle of criterion 0, ties in first-seen order (insertion sort of first-seen indices)
    (local.set $p (i32.const 0))
    (block $od (loop $ol
      (br_if $od (i32.ge_s (local.get $p) (local.get $np)))
      (local.set $key (f64.load (i32.add (i32.const 1835008)
        (i32.mul (i32.load offset=2113536 (i32.shl (local.get $p) (i32.const 2))) (i32.const 48)))))
      (if (f64.ne (local.get $key) (local.get $key)) (then (return (i32.const -1))))
      (local.set $t (local.get $p))
      (block $id (loop $il
        (br_if $id (i32.eqz (local.get $t)))
        (local.set $i (i32.load offset=11272188 (i32.shl (local.get $t) (i32.const 2))))
        (br_if $id (f64.ge
          (f64.load (i32.add (i32.const 1835008) (i32.mul (i32.load offset=2113536 (i32.shl (local.get $i) (i32.const 2))) (i32.const 48))))
          (local.get $key)))
        (i32.store offset=11272192 (i32.shl (local.get $t) (i32.const 2)) (local.get $i))
        (local.set $t (i32.sub (local.get $t) (i32.const 1)))
        (br $il)))
      (i32.store offset=11272192 (i32.shl (local.get $t) (i32.const 2)) (local.get $p))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $ol)))
    ;; the union-find over the sorted pairs
    (local.set $l (i32.const 0))
    (block $ud (loop $ul
      (br_if $ud (i32.gt_s (local.get $l) (local.get $k)))
      (i32.store offset=11288576 (i32.shl (local.get $l) (i32.const 2)) (local.get $l))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br $ul)))
    (local.set $t (i32.const 0))
    (block $md (loop $ml
      (br_if $md (i32.ge_s (local.get $t) (local.get $np)))
      (block $next
        (local.set $slot (i32.load offset=2113536 (i32.shl (i32.load offset=11272192 (i32.shl (local.get $t) (i32.const 2))) (i32.const 2))))
        (local.set $ra (call $mergeRoot (i32.shr_u (local.get $slot) (i32.const 6))))
        (local.set $rb (call $mergeRoot (i32.and (local.get $slot) (i32.const 63))))
        (br_if $next (i32.eq (local.get $ra) (local.get $rb)))
        ;; a piece below minVoxels is a fragment: it joins the neighbour across its highest saddle whatever the depth
        (if (i32.eqz (call $mergePairShallow (local.get $slot) (local.get $ra) (local.get $rb)
          (local.get $nc) (local.get $h0) (local.get $rel0) (local.get $h1) (local.get $rel1))) (then
          (br_if $next (i32.eqz (i32.or
            (f64.lt (f64.load offset=786432 (i32.shl (local.get $ra) (i32.const 3))) (local.get $minVoxels))
            (f64.lt (f64.load offset=786432 (i32.shl (local.get $rb) (i32.const 3))) (local.get $minVoxels)))))))
        (local.set $keep (select (local.get $ra) (local.get $rb)
          (f64.ge (f64.load offset=788480 (i32.shl (i32.mul (local.get $ra) (local.get $nc)) (i32.const 3)))
            (f64.load offset=788480 (i32.shl (i32.mul (local.get $rb) (local.get $nc)) (i32.const 3))))))
        (local.set $gone (select (local.get $rb) (local.get $ra) (i32.eq (local.get $keep) (local.get $ra))))
        (i32.store offset=11288576 (i32.shl (local.get $gone) (i32.const 2)) (local.get $keep))
        (f64.store offset=786432 (i32.shl (local.get $keep) (i32.const 3))
          (f64.add (f64.load offset=786432 (i32.shl (local.get $keep) (i32.const 3))) (f64.load offset=786432 (i32.shl (local.get $gone) (i32.const 3)))))
        (local.set $a (i32.shl (i32.mul (local.get $keep) (local.get $nc)) (i32.const 3)))
        (local.set $b (i32.shl (i32.mul (local.get $gone) (local.get $nc)) (i32.const 3)))
        (f64.store offset=788480 (local.get $a) (f64.max (f64.load offset=788480 (local.get $a)) (f64.load offset=788480 (local.get $b))))
        (if (i32.gt_s (local.get $nc) (i32.const 1)) (then
          (f64.store offset=788488 (local.get $a) (f64.max (f64.load offset=788488 (local.get $a)) (f64.load offset=788488 (local.get $b)))))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $ml)))
    ;; roots numbered in order, every id mapped to its root's number
    (local.set $l (i32.const 1))
    (block $rd (loop $rl
      (br_if $rd (i32.gt_s (local.get $l) (local.get $k)))
      (if (i32.eq (call $mergeRoot (local.get $l)) (local.get $l)) (then
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (i32.store offset=11288832 (i32.shl (local.get $l) (i32.const 2)) (local.get $m))))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br $rl)))
    (if (i32.eq (local.get $m) (local.get $k)) (then (return (local.get $k))))
    (local.set $l (i32.const 1))
    (block $qd (loop $ql
      (br_if $qd (i32.gt_s (local.get $l) (local.get $k)))
      (i32.store offset=11288832 (i32.shl (local.get $l) (i32.const 2))
        (i32.load offset=11288832 (i32.shl (call $mergeRoot (local.get $l)) (i32.const 2))))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br $ql)))
    (i32.store offset=11288832 (i32.const 0) (i32.const 0))
    (local.set $i (i32.const 0))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_s (local.get $i) (local.get $n)))
      (i32.store offset=1572864 (i32.shl (local.get $i) (i32.const 2))
        (i32.load offset=11288832 (i32.shl (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))) (i32.const 2))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $vl)))
    (local.get $m))

  ;; The highest of pk and four f32 values from address p, compared one by one in order (strictly greater replaces:
  ;; the first of equal values stays, −0 before +0 too, NaN never), as the voxel-by-voxel `v > peak` in f64 (the
  ;; promotion of f32 is exact and keeps the order, and the peaks are promoted f32 or −∞).
  (func $mergeMax4 (param $p i32) (param $pk f32) (result f32)
    (local $v f32)
    (local.set $v (f32.load (local.get $p)))
    (if (f32.gt (local.get $v) (local.get $pk)) (then (local.set $pk (local.get $v))))
    (local.set $v (f32.load offset=4 (local.get $p)))
    (if (f32.gt (local.get $v) (local.get $pk)) (then (local.set $pk (local.get $v))))
    (local.set $v (f32.load offset=8 (local.get $p)))
    (if (f32.gt (local.get $v) (local.get $pk)) (then (local.set $pk (local.get $v))))
    (local.set $v (f32.load offset=12 (local.get $p)))
    (if (f32.gt (local.get $v) (local.get $pk)) (then (local.set $pk (local.get $v))))
    (local.get $pk))

  ;; One boundary test of mergeScan: the pair (t, t + d) when labels[t + d] is neither 0 nor a.
  (func $mergeBoundary (param $a i32) (param $t i32) (param $d i32) (param $nc i32) (param $np i32) (result i32)
    (local $b i32)
    (local.set $b (i32.load offset=1572864 (i32.shl (i32.add (local.get $t) (local.get $d)) (i32.const 2))))
    (if (result i32) (i32.and (i32.ne (local.get $b) (i32.const 0)) (i32.ne (local.get $b) (local.get $a)))
      (then (call $see (local.get $a) (local.get $b) (local.get $t) (i32.add (local.get $t) (local.get $d)) (local.get $nc) (local.get $np)))
      (else (local.get $np))))

  ;; merge-shallow.ts `mergeShallowBasins`' scan of a plane (labels < 64, one or two maps): voxel counts, peaks per
  ;; label and map, and the boundary pairs' statistics in first-seen order (`see`, declump-kernels-seeds.wat); returns
  ;; the number of pairs. Taken by runs of one label along each row, with the results of the voxel-by-voxel scan of
  ;; `scanBasins`: the voxel counts are integers (exact in f64 whether added one by one or by run), the peaks compare
  ;; every voxel in raster order (four at a time skipped where none is higher), and the boundary pairs are met in the
  ;; same order (in a run only its last voxel has a right neighbour of another label: each voxel's lower neighbour,
  ;; tested four at a time, then the last voxel's right, then its lower one). Zero labels are skipped four at a time.
  ;; About half the time of the voxel-by-voxel loop, in both of V8's tiers (measured on a 40 × 70 box).
  (func (export "mergeScan") (param $Y i32) (param $X i32) (param $k i32) (param $nc i32) (result i32)
    (local $y i32) (local $i i32) (local $rowEnd i32) (local $a i32) (local $e i32) (local $t i32) (local $np i32)
    (local $pa i32) (local $pk32 f32) (local $v32 f32) (local $below i32) (local $av v128) (local $bv v128)
    (memory.fill (i32.const 2097152) (i32.const 255) (i32.const 16384))
    (memory.fill (i32.const 786432) (i32.const 0) (i32.shl (i32.add (local.get $k) (i32.const 1)) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s (local.get $i) (i32.mul (i32.add (local.get $k) (i32.const 1)) (local.get $nc))))
      (f64.store offset=788480 (i32.shl (local.get $i) (i32.const 3)) (f64.const -inf))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $pl)))
    (block $yd (loop $yl
      (br_if $yd (i32.ge_s (local.get $y) (local.get $Y)))
      (local.set $i (i32.mul (local.get $y) (local.get $X)))
      (local.set $rowEnd (i32.add (local.get $i) (local.get $X)))
      (local.set $below (i32.lt_s (i32.add (local.get $y) (i32.const 1)) (local.get $Y)))
      (block $rd (loop $rl
        (block $zd (loop $zl
          (br_if $zd (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $rowEnd)))
          (br_if $zd (v128.any_true (v128.load offset=1572864 (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $zl)))
        (br_if $rd (i32.ge_s (local.get $i) (local.get $rowEnd)))
        (local.set $a (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
        (if (i32.eqz (local.get $a)) (then
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $rl)))
        ;; the run [i, e) of label a
        (local.set $e (i32.add (local.get $i) (i32.const 1)))
        (block $ed (loop $el
          (br_if $ed (i32.ge_s (local.get $e) (local.get $rowEnd)))
          (br_if $ed (i32.ne (i32.load offset=1572864 (i32.shl (local.get $e) (i32.const 2))) (local.get $a)))
          (local.set $e (i32.add (local.get $e) (i32.const 1)))
          (br $el)))
        (f64.store offset=786432 (i32.shl (local.get $a) (i32.const 3))
          (f64.add (f64.load offset=786432 (i32.shl (local.get $a) (i32.const 3))) (f64.convert_i32_s (i32.sub (local.get $e) (local.get $i)))))
        (local.set $pa (i32.shl (i32.mul (local.get $a) (local.get $nc)) (i32.const 3)))
        (local.set $pk32 (f32.demote_f64 (f64.load offset=788480 (local.get $pa))))
        (local.set $t (local.get $i))
        (block $p0d (loop $p0v
          (br_if $p0d (i32.gt_s (i32.add (local.get $t) (i32.const 4)) (local.get $e)))
          (if (v128.any_true (f32x4.gt (v128.load offset=196608 (i32.shl (local.get $t) (i32.const 2))) (f32x4.splat (local.get $pk32)))) (then
            (local.set $pk32 (call $mergeMax4 (i32.add (i32.const 196608) (i32.shl (local.get $t) (i32.const 2))) (local.get $pk32)))))
          (local.set $t (i32.add (local.get $t) (i32.const 4)))
          (br $p0v)))
        (block $p0sd (loop $p0s
          (br_if $p0sd (i32.ge_s (local.get $t) (local.get $e)))
          (local.set $v32 (f32.load offset=196608 (i32.shl (local.get $t) (i32.const 2))))
          (if (f32.gt (local.get $v32) (local.get $pk32)) (then (local.set $pk32 (local.get $v32))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $p0s)))
        (f64.store offset=788480 (local.get $pa) (f64.promote_f32 (local.get $pk32)))
        (if (i32.gt_s (local.get $nc) (i32.const 1)) (then
        (local.set $pk32 (f32.demote_f64 (f64.load offset=788488 (local.get $pa))))
        (local.set $t (local.get $i))
        (block $p1d (loop $p1v
          (br_if $p1d (i32.gt_s (i32.add (local.get $t) (i32.const 4)) (local.get $e)))
          (if (v128.any_true (f32x4.gt (v128.load offset=458752 (i32.shl (local.get $t) (i32.const 2))) (f32x4.splat (local.get $pk32)))) (then
            (local.set $pk32 (call $mergeMax4 (i32.add (i32.const 458752) (i32.shl (local.get $t) (i32.const 2))) (local.get $pk32)))))
          (local.set $t (i32.add (local.get $t) (i32.const 4)))
          (br $p1v)))
        (block $p1sd (loop $p1s
          (br_if $p1sd (i32.ge_s (local.get $t) (local.get $e)))
          (local.set $v32 (f32.load offset=458752 (i32.shl (local.get $t) (i32.const 2))))
          (if (f32.gt (local.get $v32) (local.get $pk32)) (then (local.set $pk32 (local.get $v32))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $p1s)))
        (f64.store offset=788488 (local.get $pa) (f64.promote_f32 (local.get $pk32)))
))
        ;; lower neighbours of [i, e − 1), four at a time where none may be a pair, then one by one
        (local.set $t (local.get $i))
        (if (local.get $below) (then
          (local.set $av (i32x4.splat (local.get $a)))
          (block $bd (loop $bl
            (br_if $bd (i32.gt_s (i32.add (local.get $t) (i32.const 4)) (i32.sub (local.get $e) (i32.const 1))))
            (local.set $bv (v128.load offset=1572864 (i32.shl (i32.add (local.get $t) (local.get $X)) (i32.const 2))))
            (if (v128.any_true (v128.and (i32x4.ne (local.get $bv) (v128.const i32x4 0 0 0 0)) (i32x4.ne (local.get $bv) (local.get $av)))) (then
              (local.set $np (call $mergeBoundary (local.get $a) (local.get $t) (local.get $X) (local.get $nc) (local.get $np)))
              (local.set $np (call $mergeBoundary (local.get $a) (i32.add (local.get $t) (i32.const 1)) (local.get $X) (local.get $nc) (local.get $np)))
              (local.set $np (call $mergeBoundary (local.get $a) (i32.add (local.get $t) (i32.const 2)) (local.get $X) (local.get $nc) (local.get $np)))
              (local.set $np (call $mergeBoundary (local.get $a) (i32.add (local.get $t) (i32.const 3)) (local.get $X) (local.get $nc) (local.get $np)))))
            (local.set $t (i32.add (local.get $t) (i32.const 4)))
            (br $bl)))
          (block $sd (loop $sl
            (br_if $sd (i32.ge_s (local.get $t) (i32.sub (local.get $e) (i32.const 1))))
            (local.set $np (call $mergeBoundary (local.get $a) (local.get $t) (local.get $X) (local.get $nc) (local.get $np)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $sl)))))
        ;; the run's last voxel: its right neighbour (of another label, or the row's end), then its lower one
        (if (i32.lt_s (local.get $e) (local.get $rowEnd)) (then
          (local.set $np (call $mergeBoundary (local.get $a) (i32.sub (local.get $e) (i32.const 1)) (i32.const 1) (local.get $nc) (local.get $np)))))
        (if (local.get $below) (then
          (local.set $np (call $mergeBoundary (local.get $a) (i32.sub (local.get $e) (i32.const 1)) (local.get $X) (local.get $nc) (local.get $np)))))
        (local.set $i (local.get $e))
        (br $rl)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $yl)))
    (local.get $np))
