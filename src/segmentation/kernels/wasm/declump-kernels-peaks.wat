;; Declumping kernels: seeds: peak_local_max of a plane (peaks.ts) and the smoothing's row ranges. Included by declump-kernels.wat (one module, one memory).
;; Own scratch: bytes 8519680 … 11272192 of the module memory (declump-kernels.wat's memory map):
;;   KEYS 8519680 (i64 sort keys, 65 536)   HKEY 9043968 (f64 grid keys, 131 072; the merge sort's second buffer
;;   before the thinning)   HHEAD 10092544 (i32 per grid slot)   ACC 10616832 (i32 accepted peaks)
;;   NEXT 10878976 (i32 per accepted peak: the next one of its grid cell)   WTAB 11141120 (i32 per |dy|, 32 768)
;; Inputs as peakCandidates reads them: values (f32) in VALS 196608, regions (u32) at 1572864; candidates (i32) at
;; 1310720.

  ;; peaks.ts step 1 for one voxel, with bounds tests (a plane's outer rows and columns, planes under 3 × 3):
  ;; 1 when it is in a region, > 0 and no 8-neighbour of its region is larger.
  (func $peakIsCandidate (param $Y i32) (param $X i32) (param $y i32) (param $x i32) (result i32)
    (local $i i32) (local $r i32) (local $v f32) (local $yy i32) (local $ye i32) (local $xx i32) (local $xa i32)
    (local $xe i32) (local $j i32)
    (local.set $i (i32.add (i32.mul (local.get $y) (local.get $X)) (local.get $x)))
    (local.set $r (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
    (if (i32.eqz (local.get $r)) (then (return (i32.const 0))))
    (local.set $v (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
    (if (i32.eqz (f32.gt (local.get $v) (f32.const 0))) (then (return (i32.const 0))))
    (local.set $yy (select (i32.const 0) (i32.sub (local.get $y) (i32.const 1)) (i32.eqz (local.get $y))))
    (local.set $ye (select (local.get $y) (i32.add (local.get $y) (i32.const 1))
      (i32.eq (local.get $y) (i32.sub (local.get $Y) (i32.const 1)))))
    (local.set $xa (select (i32.const 0) (i32.sub (local.get $x) (i32.const 1)) (i32.eqz (local.get $x))))
    (local.set $xe (select (local.get $x) (i32.add (local.get $x) (i32.const 1))
      (i32.eq (local.get $x) (i32.sub (local.get $X) (i32.const 1)))))
    (loop $rows
      (local.set $xx (local.get $xa))
      (loop $cols
        (local.set $j (i32.shl (i32.add (i32.mul (local.get $yy) (local.get $X)) (local.get $xx)) (i32.const 2)))
        (if (i32.and (i32.eq (i32.load offset=1572864 (local.get $j)) (local.get $r))
              (f32.gt (f32.load offset=196608 (local.get $j)) (local.get $v)))
          (then (return (i32.const 0))))
        (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
        (br_if $cols (i32.le_s (local.get $xx) (local.get $xe))))
      (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
      (br_if $rows (i32.le_s (local.get $yy) (local.get $ye))))
    (i32.const 1))

  ;; Sorts the u64 keys KEYS[0 … n) ascending (runs of 16 by insertion, then bottom-up merges through HKEY); the
  ;; result ends in KEYS. The keys are distinct, so any correct sort gives the same order.
  (func $peakSortKeys (param $n i32)
    (local $s i32) (local $e i32) (local $i i32) (local $j i32) (local $k i64) (local $src i32) (local $dst i32)
    (local $t i32) (local $w i32) (local $lo i32) (local $mid i32) (local $hi i32) (local $a i32) (local $b i32)
    (local $o i32) (local $ka i64) (local $kb i64)
    (local.set $s (i32.const 0))
    (block $runsDone (loop $runs
      (br_if $runsDone (i32.ge_s (local.get $s) (local.get $n)))
      (local.set $e (select (local.get $n) (i32.add (local.get $s) (i32.const 16))
        (i32.gt_s (i32.add (local.get $s) (i32.const 16)) (local.get $n))))
      (local.set $i (i32.add (local.get $s) (i32.const 1)))
      (block $insDone (loop $ins
        (br_if $insDone (i32.ge_s (local.get $i) (local.get $e)))
        (local.set $k (i64.load offset=8519680 (i32.shl (local.get $i) (i32.const 3))))
        (local.set $j (i32.sub (local.get $i) (i32.const 1)))
        (block $shiftDone (loop $shift
          (br_if $shiftDone (i32.lt_s (local.get $j) (local.get $s)))
          (br_if $shiftDone (i64.le_u (i64.load offset=8519680 (i32.shl (local.get $j) (i32.const 3))) (local.get $k)))
          (i64.store offset=8519680 (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 3))
            (i64.load offset=8519680 (i32.shl (local.get $j) (i32.const 3))))
          (local.set $j (i32.sub (local.get $j) (i32.const 1)))
          (br $shift)))
        (i64.store offset=8519680 (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 3)) (local.get $k))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $ins)))
      (local.set $s (local.get $e))
      (br $runs)))
    (local.set $src (i32.const 8519680))
    (local.set $dst (i32.const 9043968))
    (local.set $w (i32.const 16))
    (block $passesDone (loop $passes
      (br_if $passesDone (i32.ge_s (local.get $w) (local.get $n)))
      (local.set $lo (i32.const 0))
      (block $pairsDone (loop $pairs
        (br_if $pairsDone (i32.ge_s (local.get $lo) (local.get $n)))
        (local.set $mid (select (local.get $n) (i32.add (local.get $lo) (local.get $w))
          (i32.gt_s (i32.add (local.get $lo) (local.get $w)) (local.get $n))))
        (local.set $hi (select (local.get $n) (i32.add (local.get $mid) (local.get $w))
          (i32.gt_s (i32.add (local.get $mid) (local.get $w)) (local.get $n))))
        (local.set $a (local.get $lo))
        (local.set $b (local.get $mid))
        (local.set $o (local.get $lo))
        (block $mDone (loop $merge
          (br_if $mDone (i32.ge_s (local.get $a) (local.get $mid)))
          (br_if $mDone (i32.ge_s (local.get $b) (local.get $hi)))
          (local.set $ka (i64.load (i32.add (local.get $src) (i32.shl (local.get $a) (i32.const 3)))))
          (local.set $kb (i64.load (i32.add (local.get $src) (i32.shl (local.get $b) (i32.const 3)))))
          (if (i64.lt_u (local.get $kb) (local.get $ka))
            (then
              (i64.store (i32.add (local.get $dst) (i32.shl (local.get $o) (i32.const 3))) (local.get $kb))
              (local.set $b (i32.add (local.get $b) (i32.const 1))))
            (else
              (i64.store (i32.add (local.get $dst) (i32.shl (local.get $o) (i32.const 3))) (local.get $ka))
              (local.set $a (i32.add (local.get $a) (i32.const 1)))))
          (local.set $o (i32.add (local.get $o) (i32.const 1)))
          (br $merge)))
        ;; the rest of whichever half is left
        (memory.copy (i32.add (local.get $dst) (i32.shl (local.get $o) (i32.const 3)))
          (i32.add (local.get $src) (i32.shl (local.get $a) (i32.const 3)))
          (i32.shl (i32.sub (local.get $mid) (local.get $a)) (i32.const 3)))
        (local.set $o (i32.add (local.get $o) (i32.sub (local.get $mid) (local.get $a))))
        (memory.copy (i32.add (local.get $dst) (i32.shl (local.get $o) (i32.const 3)))
          (i32.add (local.get $src) (i32.shl (local.get $b) (i32.const 3)))
          (i32.shl (i32.sub (local.get $hi) (local.get $b)) (i32.const 3)))
        (local.set $lo (local.get $hi))
        (br $pairs)))
      (local.set $t (local.get $src))
      (local.set $src (local.get $dst))
      (local.set $dst (local.get $t))
      (local.set $w (i32.shl (local.get $w) (i32.const 1)))
      (br $passes)))
    (if (i32.ne (local.get $src) (i32.const 8519680)) (then
      (memory.copy (i32.const 8519680) (local.get $src) (i32.shl (local.get $n) (i32.const 3))))))

  ;; The slot of a grid key in the open-addressed table of `mask` + 1 slots (HKEY, HHEAD): its own slot, or the
  ;; empty one where it would go. Keys compare as numbers (a JavaScript Map's SameValueZero on finite numbers).
  (func $peakSlot (param $key f64) (param $mask i32) (result i32)
    (local $s i32)
    (local.set $key (f64.add (local.get $key) (f64.const 0))) ;; −0 → +0: one hash for both zeros
    (local.set $s (i32.and (i32.wrap_i64 (i64.shr_u
      (i64.mul (i64.reinterpret_f64 (local.get $key)) (i64.const 0x9E3779B97F4A7C15)) (i64.const 40))) (local.get $mask)))
    (block $found (loop $probe
      (br_if $found (i32.lt_s (i32.load offset=10092544 (i32.shl (local.get $s) (i32.const 2))) (i32.const 0)))
      (br_if $found (f64.eq (f64.load offset=9043968 (i32.shl (local.get $s) (i32.const 3))) (local.get $key)))
      (local.set $s (i32.and (i32.add (local.get $s) (i32.const 1)) (local.get $mask)))
      (br $probe)))
    (local.get $s))

  ;; peaks.ts `peakLocalMax` of a plane whose region voxels all have one id (declumping's `oneRegion`), in full:
  ;; the 8-neighbour candidates, the footprint test (the ellipse of radius minDistance, |dy| ≤ ry, |dx| ≤ rx:
  ;; (dy·sy)² + (dx·sx)² ≤ r2, a prefix of |dx| per |dy| since every rounding is monotone), the sort (value
  ;; descending, then raster index: the u64 key (¬bits(v) << 32) | i of a value > 0), the greedy thinning with the
  ;; same grid keys as the JavaScript Map ((dz·gy + cy + dy)·gx + cx + dx in f64, cells floor(y·sy / cell)), and
  ;; with $seedEvery the highest voxel (first of equals) where no peak is left. Writes the peaks to ACC in order and
  ;; returns their number, or −1 where the regions hold two ids (the caller's JavaScript then).
  (func (export "peaksPlane") (param $Y i32) (param $X i32) (param $ry i32) (param $rx i32) (param $sy f64)
    (param $sx f64) (param $r2 f64) (param $cell f64) (param $gy f64) (param $gx f64) (param $seedEvery i32)
    (result i32)
    (local $nc i32) (local $y i32) (local $x i32) (local $i i32) (local $R i32) (local $r i32) (local $k i32)
    (local $w i32) (local $a f64) (local $d f64) (local $v f32) (local $yy i32) (local $ye i32) (local $xx i32)
    (local $xe i32) (local $kept i32) (local $mask i32) (local $na i32) (local $cy f64) (local $cx f64)
    (local $dz i32) (local $dy i32) (local $dx i32) (local $p i32) (local $j i32) (local $jy i32) (local $s i32)
    (local $key f64) (local $best i32) (local $n i32)
    (local.set $n (i32.mul (local.get $Y) (local.get $X)))
    ;; ---- 1. candidates ----
    (if (i32.and (i32.ge_s (local.get $Y) (i32.const 3)) (i32.ge_s (local.get $X) (i32.const 3)))
      (then
        (local.set $nc (call $peakCandidates (local.get $Y) (local.get $X)))
        ;; the outer rows and columns
        (local.set $y (i32.const 0))
        (loop $eRows
          (local.set $x (i32.const 0))
          (loop $eCols
            (if (call $peakIsCandidate (local.get $Y) (local.get $X) (local.get $y) (local.get $x)) (then
              (i32.store offset=1310720 (i32.shl (local.get $nc) (i32.const 2))
                (i32.add (i32.mul (local.get $y) (local.get $X)) (local.get $x)))
              (local.set $nc (i32.add (local.get $nc) (i32.const 1)))))
            ;; every column of the first and last rows, the first and last column of the others
            (local.set $x (i32.add (local.get $x) (select (i32.const 1) (i32.sub (local.get $X) (i32.const 1))
              (i32.or (i32.eqz (local.get $y)) (i32.eq (local.get $y) (i32.sub (local.get $Y) (i32.const 1)))))))
            (br_if $eCols (i32.lt_s (local.get $x) (local.get $X))))
          (local.set $y (i32.add (local.get $y) (i32.const 1)))
          (br_if $eRows (i32.lt_s (local.get $y) (local.get $Y)))))
      (else
        ;; a plane under 3 × 3: every voxel with bounds tests, and the regions' ids checked (the JavaScript seeds
        ;; every region of a plane this small when it finds two)
        (local.set $y (i32.const 0))
        (block $sDone (loop $sRows
          (br_if $sDone (i32.ge_s (local.get $y) (local.get $Y)))
          (local.set $x (i32.const 0))
          (block $cDone (loop $sCols
            (br_if $cDone (i32.ge_s (local.get $x) (local.get $X)))
            (local.set $i (i32.add (i32.mul (local.get $y) (local.get $X)) (local.get $x)))
            (local.set $r (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
            (if (local.get $r) (then
              (if (i32.eqz (local.get $R)) (then (local.set $R (local.get $r))))
              (if (i32.ne (local.get $r) (local.get $R)) (then (return (i32.const -1))))))
            (if (call $peakIsCandidate (local.get $Y) (local.get $X) (local.get $y) (local.get $x)) (then
              (i32.store offset=1310720 (i32.shl (local.get $nc) (i32.const 2)) (local.get $i))
              (local.set $nc (i32.add (local.get $nc) (i32.const 1)))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $sCols)))
          (local.set $y (i32.add (local.get $y) (i32.const 1)))
          (br $sRows)))))
    ;; ---- 2. the footprint: per |dy| ≤ ry the largest |dx| ≤ rx inside the ellipse (−1: none) ----
    (local.set $dy (i32.const 0))
    (block $wDone (loop $wRows
      (br_if $wDone (i32.gt_s (local.get $dy) (local.get $ry)))
      (local.set $a (f64.mul (f64.convert_i32_s (local.get $dy)) (local.get $sy)))
      (local.set $a (f64.mul (local.get $a) (local.get $a)))
      (local.set $w (i32.const -1))
      (block $xDone (loop $wCols
        (br_if $xDone (i32.gt_s (i32.add (local.get $w) (i32.const 1)) (local.get $rx)))
        (local.set $d (f64.mul (f64.convert_i32_s (i32.add (local.get $w) (i32.const 1))) (local.get $sx)))
        (br_if $xDone (i32.eqz (f64.le (f64.add (local.get $a) (f64.mul (local.get $d) (local.get $d))) (local.get $r2))))
        (local.set $w (i32.add (local.get $w) (i32.const 1)))
        (br $wCols)))
      (i32.store offset=11141120 (i32.shl (local.get $dy) (i32.const 2)) (local.get $w))
      (local.set $dy (i32.add (local.get $dy) (i32.const 1)))
      (br $wRows)))
    ;; ---- 3. the footprint test; the survivors' sort keys ----
    (local.set $k (i32.const 0))
    (block $fDone (loop $cands
      (br_if $fDone (i32.ge_s (local.get $k) (local.get $nc)))
      (local.set $i (i32.load offset=1310720 (i32.shl (local.get $k) (i32.const 2))))
      (local.set $y (i32.div_u (local.get $i) (local.get $X)))
      (local.set $x (i32.sub (local.get $i) (i32.mul (local.get $y) (local.get $X))))
      (local.set $r (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
      (local.set $v (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2))))
      (local.set $yy (select (i32.const 0) (i32.sub (local.get $y) (local.get $ry))
        (i32.lt_s (i32.sub (local.get $y) (local.get $ry)) (i32.const 0))))
      (local.set $ye (select (i32.sub (local.get $Y) (i32.const 1)) (i32.add (local.get $y) (local.get $ry))
        (i32.gt_s (i32.add (local.get $y) (local.get $ry)) (i32.sub (local.get $Y) (i32.const 1)))))
      (block $reject
        (block $fyDone (loop $fRows
          (br_if $fyDone (i32.gt_s (local.get $yy) (local.get $ye)))
          (local.set $dy (i32.sub (local.get $yy) (local.get $y)))
          (local.set $w (i32.load offset=11141120 (i32.shl
            (select (i32.sub (i32.const 0) (local.get $dy)) (local.get $dy) (i32.lt_s (local.get $dy) (i32.const 0)))
            (i32.const 2))))
          (if (i32.ge_s (local.get $w) (i32.const 0)) (then
            (local.set $xx (select (i32.const 0) (i32.sub (local.get $x) (local.get $w))
              (i32.lt_s (i32.sub (local.get $x) (local.get $w)) (i32.const 0))))
            (local.set $xe (select (i32.sub (local.get $X) (i32.const 1)) (i32.add (local.get $x) (local.get $w))
              (i32.gt_s (i32.add (local.get $x) (local.get $w)) (i32.sub (local.get $X) (i32.const 1)))))
            (local.set $j (i32.shl (i32.add (i32.mul (local.get $yy) (local.get $X)) (local.get $xx)) (i32.const 2)))
            (local.set $p (i32.shl (i32.add (i32.mul (local.get $yy) (local.get $X)) (local.get $xe)) (i32.const 2)))
            (loop $fCols
              (br_if $reject (i32.and (i32.eq (i32.load offset=1572864 (local.get $j)) (local.get $r))
                (f32.gt (f32.load offset=196608 (local.get $j)) (local.get $v))))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br_if $fCols (i32.le_s (local.get $j) (local.get $p))))))
          (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
          (br $fRows)))
        (i64.store offset=8519680 (i32.shl (local.get $kept) (i32.const 3))
          (i64.or
            (i64.shl (i64.extend_i32_u (i32.xor (i32.reinterpret_f32 (local.get $v)) (i32.const -1))) (i64.const 32))
            (i64.extend_i32_u (local.get $i))))
        (local.set $kept (i32.add (local.get $kept) (i32.const 1))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $cands)))
    ;; ---- 4. highest first, ties in raster order ----
    (call $peakSortKeys (local.get $kept))
    ;; ---- 5. greedy thinning: the grid table of at least twice as many slots as peaks can be accepted ----
    (local.set $mask (i32.const 16))
    (block $tDone (loop $tSize
      (br_if $tDone (i32.ge_s (local.get $mask) (i32.shl (local.get $kept) (i32.const 1))))
      (local.set $mask (i32.shl (local.get $mask) (i32.const 1)))
      (br $tSize)))
    (memory.fill (i32.const 10092544) (i32.const 255) (i32.shl (local.get $mask) (i32.const 2)))
    (local.set $mask (i32.sub (local.get $mask) (i32.const 1)))
    (local.set $k (i32.const 0))
    (block $gDone (loop $greedy
      (br_if $gDone (i32.ge_s (local.get $k) (local.get $kept)))
      (local.set $i (i32.wrap_i64 (i64.load offset=8519680 (i32.shl (local.get $k) (i32.const 3)))))
      (local.set $y (i32.div_u (local.get $i) (local.get $X)))
      (local.set $x (i32.sub (local.get $i) (i32.mul (local.get $y) (local.get $X))))
      (local.set $r (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
      (local.set $cy (f64.floor (f64.div (f64.mul (f64.convert_i32_s (local.get $y)) (local.get $sy)) (local.get $cell))))
      (local.set $cx (f64.floor (f64.div (f64.mul (f64.convert_i32_s (local.get $x)) (local.get $sx)) (local.get $cell))))
      (block $clash
        (local.set $dz (i32.const -1))
        (loop $gz
          (local.set $dy (i32.const -1))
          (loop $gyLoop
            (local.set $dx (i32.const -1))
            (loop $gxLoop
              (local.set $key (f64.add
                (f64.mul
                  (f64.add (f64.mul (f64.convert_i32_s (local.get $dz)) (local.get $gy))
                    (f64.add (local.get $cy) (f64.convert_i32_s (local.get $dy))))
                  (local.get $gx))
                (f64.add (local.get $cx) (f64.convert_i32_s (local.get $dx)))))
              (local.set $s (call $peakSlot (local.get $key) (local.get $mask)))
              (local.set $p (i32.load offset=10092544 (i32.shl (local.get $s) (i32.const 2))))
              (block $listDone (loop $list
                (br_if $listDone (i32.lt_s (local.get $p) (i32.const 0)))
                (local.set $j (i32.load offset=10616832 (i32.shl (local.get $p) (i32.const 2))))
                (if (i32.eq (i32.load offset=1572864 (i32.shl (local.get $j) (i32.const 2))) (local.get $r)) (then
                  (local.set $jy (i32.div_u (local.get $j) (local.get $X)))
                  (local.set $a (f64.mul (f64.convert_i32_s (i32.sub (local.get $jy) (local.get $y))) (local.get $sy)))
                  (local.set $d (f64.mul (f64.convert_i32_s
                    (i32.sub (i32.sub (local.get $j) (i32.mul (local.get $jy) (local.get $X))) (local.get $x))) (local.get $sx)))
                  (br_if $clash (f64.le
                    (f64.add (f64.mul (local.get $a) (local.get $a)) (f64.mul (local.get $d) (local.get $d)))
                    (local.get $r2)))))
                (local.set $p (i32.load offset=10878976 (i32.shl (local.get $p) (i32.const 2))))
                (br $list)))
              (local.set $dx (i32.add (local.get $dx) (i32.const 1)))
              (br_if $gxLoop (i32.le_s (local.get $dx) (i32.const 1))))
            (local.set $dy (i32.add (local.get $dy) (i32.const 1)))
            (br_if $gyLoop (i32.le_s (local.get $dy) (i32.const 1))))
          (local.set $dz (i32.add (local.get $dz) (i32.const 1)))
          (br_if $gz (i32.le_s (local.get $dz) (i32.const 1))))
        ;; no clash: accepted, and filed under its own cell's key
        (i32.store offset=10616832 (i32.shl (local.get $na) (i32.const 2)) (local.get $i))
        (local.set $key (f64.add (f64.mul (f64.add (f64.mul (f64.const 0) (local.get $gy)) (local.get $cy)) (local.get $gx))
          (local.get $cx)))
        (local.set $s (call $peakSlot (local.get $key) (local.get $mask)))
        (local.set $p (i32.load offset=10092544 (i32.shl (local.get $s) (i32.const 2))))
        (if (i32.lt_s (local.get $p) (i32.const 0)) (then
          (f64.store offset=9043968 (i32.shl (local.get $s) (i32.const 3)) (f64.add (local.get $key) (f64.const 0)))))
        (i32.store offset=10878976 (i32.shl (local.get $na) (i32.const 2)) (local.get $p))
        (i32.store offset=10092544 (i32.shl (local.get $s) (i32.const 2)) (local.get $na))
        (local.set $na (i32.add (local.get $na) (i32.const 1))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $greedy)))
    ;; ---- 6. no peak: the region's highest voxel (the first of equal ones) ----
    (if (i32.and (i32.eqz (local.get $na)) (i32.ne (local.get $seedEvery) (i32.const 0))) (then
      (local.set $best (i32.const -1))
      (local.set $R (i32.const 0))
      (local.set $i (i32.const 0))
      (block $bDone (loop $bestLoop
        (br_if $bDone (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $r (i32.load offset=1572864 (i32.shl (local.get $i) (i32.const 2))))
        (if (local.get $r) (then
          (if (i32.eqz (local.get $R)) (then (local.set $R (local.get $r))))
          (if (i32.ne (local.get $r) (local.get $R)) (then (return (i32.const -1))))
          (if (i32.lt_s (local.get $best) (i32.const 0))
            (then (local.set $best (local.get $i)))
            (else (if (f32.gt (f32.load offset=196608 (i32.shl (local.get $i) (i32.const 2)))
                        (f32.load offset=196608 (i32.shl (local.get $best) (i32.const 2))))
              (then (local.set $best (local.get $i))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $bestLoop)))
      (if (i32.ge_s (local.get $best) (i32.const 0)) (then
        (i32.store offset=10616832 (i32.const 0) (local.get $best))
        (local.set $na (i32.const 1))))))
    (local.get $na))

;; Memory of the masked plane smoothing (smoothPlaneMasked): the mask (u8) at KEYS 8519680, the y pass's mask weights
;; (f64 plane) at HKEY 9043968, its sums in A (786432).

  ;; masked-smooth.ts `smoothPlane`'s row ranges: each row's x range [FROM, TO) of the voxels NEED marks (empty: 0,
  ;; 0; every voxel without $needed).
  (func $smoothRowRanges (param $Y i32) (param $X i32) (param $needed i32)
    (local $y i32) (local $row i32) (local $a i32) (local $l i32)
    (local.set $y (i32.const 0))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_s (local.get $y) (local.get $Y)))
      (local.set $row (i32.add (i32.const 720896) (i32.mul (local.get $y) (local.get $X))))
      (if (local.get $needed)
        (then
          (local.set $a (i32.const 0))
          (block $aDone (loop $left
            (br_if $aDone (i32.ge_s (local.get $a) (local.get $X)))
            (br_if $aDone (i32.load8_u (i32.add (local.get $row) (local.get $a))))
            (local.set $a (i32.add (local.get $a) (i32.const 1)))
            (br $left)))
          (if (i32.lt_s (local.get $a) (local.get $X))
            (then
              (local.set $l (i32.sub (local.get $X) (i32.const 1)))
              (block $lDone (loop $right
                (br_if $lDone (i32.load8_u (i32.add (local.get $row) (local.get $l))))
                (local.set $l (i32.sub (local.get $l) (i32.const 1)))
                (br $right)))
              (i32.store offset=65536 (i32.shl (local.get $y) (i32.const 2)) (local.get $a))
              (i32.store offset=131072 (i32.shl (local.get $y) (i32.const 2)) (i32.add (local.get $l) (i32.const 1))))
            (else
              (i32.store offset=65536 (i32.shl (local.get $y) (i32.const 2)) (i32.const 0))
              (i32.store offset=131072 (i32.shl (local.get $y) (i32.const 2)) (i32.const 0)))))
        (else
          (i32.store offset=65536 (i32.shl (local.get $y) (i32.const 2)) (i32.const 0))
          (i32.store offset=131072 (i32.shl (local.get $y) (i32.const 2)) (local.get $X))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $rows))))

  ;; masked-smooth.ts `smoothPlane` without a mask, with its set-up: the kernels' weights summed lowest tap first
  ;; (KY[0 … nky), KX[0 … nkx)) and the row ranges, then $smoothPlane.
  (func (export "smoothPlaneNeeded") (param $Y i32) (param $X i32) (param $nky i32) (param $nkx i32)
    (param $zerosOutside i32) (param $needed i32)
    (local $kySum f64) (local $kxSum f64) (local $t i32)
    (local.set $t (i32.const 0))
    (block $kyDone (loop $kyTaps
      (br_if $kyDone (i32.ge_s (local.get $t) (local.get $nky)))
      (local.set $kySum (f64.add (local.get $kySum) (f64.load (i32.shl (local.get $t) (i32.const 3)))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $kyTaps)))
    (local.set $t (i32.const 0))
    (block $kxDone (loop $kxTaps
      (br_if $kxDone (i32.ge_s (local.get $t) (local.get $nkx)))
      (local.set $kxSum (f64.add (local.get $kxSum) (f64.load offset=512 (i32.shl (local.get $t) (i32.const 3)))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $kxTaps)))
    (call $smoothRowRanges (local.get $Y) (local.get $X) (local.get $needed))
    (call $smoothPlane (local.get $Y) (local.get $X) (i32.shr_s (i32.sub (local.get $nky) (i32.const 1)) (i32.const 1))
      (i32.shr_s (i32.sub (local.get $nkx) (i32.const 1)) (i32.const 1)) (local.get $kySum) (local.get $kxSum)
      (local.get $zerosOutside) (local.get $needed)))

  ;; masked-smooth.ts `smoothPlane` with a mask (CellProfiler's edge correction by the smoothed mask): the y pass sums
  ;; value · k and k over the in-mask taps (lowest first) into A and the weights plane, over each row's needed range
  ;; widened by hx; the x pass the same over A and the weights, out = acc / wm where the voxel is in the mask and
  ;; wm > 0, else 0 (and 0 outside [FROM, TO) and, with $needed, where NEED is 0).
  (func (export "smoothPlaneMasked") (param $Y i32) (param $X i32) (param $nky i32) (param $nkx i32) (param $needed i32)
    (local $hy i32) (local $hx i32) (local $q i32) (local $lo i32) (local $hi i32) (local $f i32) (local $e i32)
    (local $xa i32) (local $xe i32) (local $x i32) (local $t i32) (local $j i32) (local $acc f64) (local $wm f64)
    (local $kt f64) (local $row i32) (local $i i32)
    (local.set $hy (i32.shr_s (i32.sub (local.get $nky) (i32.const 1)) (i32.const 1)))
    (local.set $hx (i32.shr_s (i32.sub (local.get $nkx) (i32.const 1)) (i32.const 1)))
    (call $smoothRowRanges (local.get $Y) (local.get $X) (local.get $needed))
    ;; ---- y pass ----
    (local.set $q (i32.const 0))
    (block $yDone (loop $yRows
      (br_if $yDone (i32.ge_s (local.get $q) (local.get $Y)))
      (local.set $f (i32.load offset=65536 (i32.shl (local.get $q) (i32.const 2))))
      (local.set $e (i32.load offset=131072 (i32.shl (local.get $q) (i32.const 2))))
      (if (i32.ne (local.get $f) (local.get $e)) (then
        ;; lo = max(-hy, -q), hi = min(hy, Y - 1 - q)
        (local.set $lo (select (i32.sub (i32.const 0) (local.get $q)) (i32.sub (i32.const 0) (local.get $hy))
          (i32.lt_s (local.get $q) (local.get $hy))))
        (local.set $hi (select (i32.sub (i32.sub (local.get $Y) (i32.const 1)) (local.get $q)) (local.get $hy)
          (i32.lt_s (i32.sub (i32.sub (local.get $Y) (i32.const 1)) (local.get $q)) (local.get $hy))))
        (local.set $xa (select (i32.const 0) (i32.sub (local.get $f) (local.get $hx))
          (i32.lt_s (i32.sub (local.get $f) (local.get $hx)) (i32.const 0))))
        (local.set $xe (select (local.get $X) (i32.add (local.get $e) (local.get $hx))
          (i32.gt_s (i32.add (local.get $e) (local.get $hx)) (local.get $X))))
        (local.set $x (local.get $xa))
        (block $xDone (loop $cols
          (br_if $xDone (i32.ge_s (local.get $x) (local.get $xe)))
          (local.set $acc (f64.const 0))
          (local.set $wm (f64.const 0))
          (local.set $t (local.get $lo))
          (local.set $j (i32.add (i32.mul (i32.add (local.get $q) (local.get $lo)) (local.get $X)) (local.get $x)))
          (block $tDone (loop $taps
            (br_if $tDone (i32.gt_s (local.get $t) (local.get $hi)))
            (if (i32.load8_u offset=8519680 (local.get $j)) (then
              (local.set $kt (f64.load (i32.shl (i32.add (local.get $t) (local.get $hy)) (i32.const 3))))
              (local.set $acc (f64.add (local.get $acc)
                (f64.mul (f64.promote_f32 (f32.load offset=196608 (i32.shl (local.get $j) (i32.const 2)))) (local.get $kt))))
              (local.set $wm (f64.add (local.get $wm) (local.get $kt)))))
            (local.set $j (i32.add (local.get $j) (local.get $X)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $taps)))
          (local.set $i (i32.shl (i32.add (i32.mul (local.get $q) (local.get $X)) (local.get $x)) (i32.const 3)))
          (f64.store offset=786432 (local.get $i) (local.get $acc))
          (f64.store offset=9043968 (local.get $i) (local.get $wm))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br $cols)))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $yRows)))
    ;; ---- x pass ----
    (local.set $q (i32.const 0)) ;; q = row index y here
    (block $xRowsDone (loop $xRows
      (br_if $xRowsDone (i32.ge_s (local.get $q) (local.get $Y)))
      (local.set $row (i32.mul (local.get $q) (local.get $X)))
      (local.set $f (i32.load offset=65536 (i32.shl (local.get $q) (i32.const 2))))
      (local.set $e (i32.load offset=131072 (i32.shl (local.get $q) (i32.const 2))))
      (if (i32.eq (local.get $f) (local.get $e))
        (then (memory.fill (i32.add (i32.const 458752) (i32.shl (local.get $row) (i32.const 2))) (i32.const 0)
          (i32.shl (local.get $X) (i32.const 2))))
        (else
          (memory.fill (i32.add (i32.const 458752) (i32.shl (local.get $row) (i32.const 2))) (i32.const 0)
            (i32.shl (local.get $f) (i32.const 2)))
          (memory.fill (i32.add (i32.const 458752) (i32.shl (i32.add (local.get $row) (local.get $e)) (i32.const 2))) (i32.const 0)
            (i32.shl (i32.sub (local.get $X) (local.get $e)) (i32.const 2)))
          (local.set $x (local.get $f))
          (block $vDone (loop $vox
            (br_if $vDone (i32.ge_s (local.get $x) (local.get $e)))
            (local.set $i (i32.add (local.get $row) (local.get $x)))
            (block $store
              (if (i32.and (local.get $needed) (i32.eqz (i32.load8_u offset=720896 (local.get $i)))) (then
                (f32.store offset=458752 (i32.shl (local.get $i) (i32.const 2)) (f32.const 0))
                (br $store)))
              ;; lo = max(-hx, -x), hi = min(hx, X - 1 - x): the same taps, in the same order, as the JavaScript's
              ;; interior and edge loops
              (local.set $lo (select (i32.sub (i32.const 0) (local.get $x)) (i32.sub (i32.const 0) (local.get $hx))
                (i32.lt_s (local.get $x) (local.get $hx))))
              (local.set $hi (select (i32.sub (i32.sub (local.get $X) (i32.const 1)) (local.get $x)) (local.get $hx)
                (i32.lt_s (i32.sub (i32.sub (local.get $X) (i32.const 1)) (local.get $x)) (local.get $hx))))
              (local.set $acc (f64.const 0))
              (local.set $wm (f64.const 0))
              (local.set $t (local.get $lo))
              (block $aDone (loop $accTaps
                (br_if $aDone (i32.gt_s (local.get $t) (local.get $hi)))
                (local.set $acc (f64.add (local.get $acc) (f64.mul
                  (f64.load offset=786432 (i32.shl (i32.add (local.get $i) (local.get $t)) (i32.const 3)))
                  (f64.load offset=512 (i32.shl (i32.add (local.get $t) (local.get $hx)) (i32.const 3))))))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $accTaps)))
              (local.set $t (local.get $lo))
              (block $wDone (loop $wTaps
                (br_if $wDone (i32.gt_s (local.get $t) (local.get $hi)))
                (local.set $wm (f64.add (local.get $wm) (f64.mul
                  (f64.load offset=9043968 (i32.shl (i32.add (local.get $i) (local.get $t)) (i32.const 3)))
                  (f64.load offset=512 (i32.shl (i32.add (local.get $t) (local.get $hx)) (i32.const 3))))))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $wTaps)))
              (f32.store offset=458752 (i32.shl (local.get $i) (i32.const 2))
                (select (f32.demote_f64 (f64.div (local.get $acc) (local.get $wm))) (f32.const 0)
                  (i32.and (i32.ne (i32.load8_u offset=8519680 (local.get $i)) (i32.const 0))
                    (f64.gt (local.get $wm) (f64.const 0))))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $vox)))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $xRows))))
