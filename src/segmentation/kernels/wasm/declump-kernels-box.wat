;; Declumping kernels: the per-component box work of declumpMask (declump.ts: the whole-component tests and the rules
;; of components left whole, the paste of a split component's pieces, the hole filling of a box) on a plane, in
;; WebAssembly because a fresh process runs that JavaScript once, in V8's interpreter and baseline tiers
;; (docs/declumping.md, "Cold start"). Included by declump-kernels.wat (one module, one memory); wrappers in
;; declump-wasm-box.ts. Integer work, and the equivalent diameter formed with the same f64 operations in the same
;; order as object-rules.ts `equivalentDiameterUm`: the same results as the JavaScript (test/declump-wasm-box.test.ts).
;; Own scratch: bytes 14024704 … 16777216 of the module memory (declump-kernels.wat's memory map):
;;   BL 14024704 (u32 box labels, 65536)   BO 14286848 (u32 box `own` labels, 65536)
;;   BF 14548992, BT 14614528 (i32 per box row, 16384: the x span [from, to) of the object's voxels)
;;   BR 14680064 (runs of the pasted pieces, 4 i32 each: row, x0, x1, label; 65536 runs)
;;   (`boxFillHoles` on a plane of labels in BL: marks u8 at 14680064, queue i32 at 14745600, large holes i32 at 15007744)
;;   PV 15728640, PH 15761408 (f64 per piece, 4096: voxels, hole voxels)   PT 15794176 (u8 per piece: touches border)
;;   per component (16384): CV 15798272 (f64 voxels), CB 15929344 (6 i32: box), CR 16322560 (i32 first run in the run
;;   index, count + 2), CH 16388112 (u8 hole-free), CF 16404496 (u8 face-connected), CT 16420880 (u8 touches the
;;   border, given by the caller with a ROI outline), CK 16437264 (u8 class, out)

  ;; The tests of declump.ts's component loop for components 1…count of a plane, and the object rules of those left
  ;; whole: CK[c] = 0 (per-object work), 1 (whole, kept), 2 / 3 / 4 (whole, removed: border / too small / too
  ;; large), + 8 where the convexity rule left it whole; 255 where this kernel cannot decide (the hull's points do not
  ;; fit: the caller's JavaScript then). $flags: 1 fill_holes, 2 method none, 4 method shape, 8 exclude border objects,
  ;; 16 CT holds the border flags (else the box on the image edge), 32 diameter range [rMin, rMax], 64 face
  ;; connectivity from the run index ($faceConnected on the hull's arrays, else CF).
  (func (export "boxClassify") (param $count i32) (param $Y i32) (param $X i32) (param $flags i32)
    (param $minPiece f64) (param $convexMax f64) (param $solidity f64) (param $sy f64) (param $sx f64)
    (param $rMin f64) (param $rMax f64)
    (local $c i32) (local $v f64) (local $needsFill i32) (local $whole i32) (local $k i32) (local $b i32)
    (local $touch i32) (local $d f64) (local $c4 i32)
    (local.set $c (i32.const 1))
    (block $done (loop $comps
      (br_if $done (i32.gt_s (local.get $c) (local.get $count)))
      (local.set $v (f64.load offset=15798272 (i32.shl (local.get $c) (i32.const 3))))
      (local.set $b (i32.mul (local.get $c) (i32.const 24)))
      (local.set $c4 (i32.shl (local.get $c) (i32.const 2)))
      ;; needsFill = (fill_holes || shape) && !holeFree
      (local.set $needsFill (i32.and (i32.ne (i32.and (local.get $flags) (i32.const 5)) (i32.const 0))
        (i32.eqz (i32.load8_u offset=16388112 (local.get $c)))))
      (local.set $whole (i32.const 0))
      (local.set $k (i32.const 0))
      ;; holes to fill with fill_holes: never whole
      (if (i32.eqz (i32.and (local.get $needsFill) (i32.and (local.get $flags) (i32.const 1)))) (then
        (if (i32.and (local.get $flags) (i32.const 2))
          (then (local.set $whole (i32.eqz (local.get $needsFill))))
          (else
            (if (i32.and (f64.gt (local.get $minPiece) (f64.const 0)) (f64.lt (local.get $v) (f64.mul (f64.const 2) (local.get $minPiece)))) (then
              (local.set $whole
                (if (result i32) (i32.and (local.get $flags) (i32.const 64))
                  (then (call $faceConnected (i32.load offset=16322560 (local.get $c4)) (i32.load offset=16322564 (local.get $c4))))
                  (else (i32.load8_u offset=16404496 (local.get $c)))))))))
        (if (i32.and (i32.eqz (local.get $whole)) (f64.gt (local.get $convexMax) (f64.const 0))) (then
          (if (i32.gt_s (i32.shl (i32.sub (i32.load offset=15929356 (local.get $b)) (i32.load offset=15929352 (local.get $b))) (i32.const 1)) (i32.const 16384))
            (then (local.set $k (i32.const 255)))
            (else
              (if (f64.le (local.get $v) (local.get $convexMax)) (then
                (if (f64.ge (local.get $v) (f64.mul (local.get $solidity)
                      (call $hullPixels (i32.load offset=16322560 (local.get $c4)) (i32.load offset=16322564 (local.get $c4))))) (then
                  (local.set $whole (i32.const 1))
                  (local.set $k (i32.const 8))))))))))))
      (if (i32.and (local.get $whole) (i32.ne (local.get $k) (i32.const 255))) (then
        ;; object-rules.ts `removedByObjectRules`: border first, then the equivalent diameter 2·√(area / π)
        (local.set $touch (i32.const 0))
        (if (i32.and (local.get $flags) (i32.const 8)) (then
          (local.set $touch
            (if (result i32) (i32.and (local.get $flags) (i32.const 16))
              (then (i32.load8_u offset=16420880 (local.get $c)))
              (else (i32.or
                (i32.or (i32.eqz (i32.load offset=15929352 (local.get $b))) (i32.eq (i32.load offset=15929356 (local.get $b)) (local.get $Y)))
                (i32.or (i32.eqz (i32.load offset=15929360 (local.get $b))) (i32.eq (i32.load offset=15929364 (local.get $b)) (local.get $X)))))))))
        (if (local.get $touch)
          (then (local.set $k (i32.or (local.get $k) (i32.const 2))))
          (else
            (local.set $k (i32.or (local.get $k) (i32.const 1)))
            (if (i32.and (local.get $flags) (i32.const 32)) (then
              (local.set $d (f64.mul (f64.const 2) (f64.sqrt (f64.div (f64.mul (f64.mul (local.get $v) (local.get $sy)) (local.get $sx))
                (f64.const 0x1.921fb54442d18p+1)))))
              (if (f64.lt (local.get $d) (local.get $rMin))
                (then (local.set $k (i32.add (local.get $k) (i32.const 2))))
                (else (if (f64.gt (local.get $d) (local.get $rMax))
                  (then (local.set $k (i32.add (local.get $k) (i32.const 3)))))))))))))
      (i32.store8 offset=16437264 (local.get $c) (local.get $k))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $comps))))

;; declump.ts's paste of a split component's pieces: over each box row's span [BF, BT) of the ly × lx box labels BL
  ;; (pieces 1…nSeeds; 0 background, 0xffffffff another component), the runs of equal piece labels to BR, and per
  ;; piece its voxels (PV), with $withOwn its voxels where BO is not 1 (holes it filled, PH), with $borderTest whether
  ;; one lies on the image's edge (PT; the box at (y0, x0) of a Y × X plane: a run on the first or last row, or one
  ;; starting at column 0 or ending at column X). Each run is found four labels at a time (i32x4 compare). Returns the
  ;; number of runs, or −1 where a label exceeds nSeeds or the runs do not fit (the caller's JavaScript then).
  (func (export "boxPaste") (param $ly i32) (param $lx i32) (param $y0 i32) (param $x0 i32) (param $Y i32) (param $X i32)
    (param $nSeeds i32) (param $withOwn i32) (param $borderTest i32) (result i32)
    (local $y i32) (local $x i32) (local $xEnd i32) (local $row i32) (local $l i32) (local $start i32) (local $nr i32)
    (local $gy i32) (local $rowEdge i32) (local $p i32) (local $q i32) (local $holes i32) (local $lv v128)
    (memory.fill (i32.const 15728640) (i32.const 0) (i32.shl (i32.add (local.get $nSeeds) (i32.const 1)) (i32.const 3)))
    (memory.fill (i32.const 15761408) (i32.const 0) (i32.shl (i32.add (local.get $nSeeds) (i32.const 1)) (i32.const 3)))
    (memory.fill (i32.const 15794176) (i32.const 0) (i32.add (local.get $nSeeds) (i32.const 1)))
    (local.set $y (i32.const 0))
    (block $yd (loop $yl
      (br_if $yd (i32.ge_s (local.get $y) (local.get $ly)))
      (local.set $row (i32.mul (local.get $y) (local.get $lx)))
      (local.set $x (i32.load offset=14548992 (i32.shl (local.get $y) (i32.const 2))))
      (local.set $xEnd (i32.load offset=14614528 (i32.shl (local.get $y) (i32.const 2))))
      (local.set $gy (i32.add (local.get $y0) (local.get $y)))
      (local.set $rowEdge (i32.or (i32.eqz (local.get $gy)) (i32.eq (local.get $gy) (i32.sub (local.get $Y) (i32.const 1)))))
      (block $xd (loop $xl
        (br_if $xd (i32.ge_s (local.get $x) (local.get $xEnd)))
        (local.set $l (i32.load offset=14024704 (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2))))
        (if (i32.or (i32.eqz (local.get $l)) (i32.eq (local.get $l) (i32.const -1))) (then
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br $xl)))
        (if (i32.gt_u (local.get $l) (local.get $nSeeds)) (then (return (i32.const -1))))
        (local.set $start (local.get $x))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        ;; the run's end: four labels at a time while all equal l, then one at a time
        (local.set $lv (i32x4.splat (local.get $l)))
        (block $vd (loop $vl
          (br_if $vd (i32.gt_s (i32.add (local.get $x) (i32.const 4)) (local.get $xEnd)))
          (br_if $vd (i32.eqz (i32x4.all_true (i32x4.eq (local.get $lv)
            (v128.load offset=14024704 (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2)))))))
          (local.set $x (i32.add (local.get $x) (i32.const 4)))
          (br $vl)))
        (block $sd (loop $sl
          (br_if $sd (i32.ge_s (local.get $x) (local.get $xEnd)))
          (br_if $sd (i32.ne (i32.load offset=14024704 (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2))) (local.get $l)))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br $sl)))
        ;; the run [start, x) of piece l
        (if (i32.ge_u (local.get $nr) (i32.const 65536)) (then (return (i32.const -1))))
        (local.set $p (i32.add (i32.const 14680064) (i32.shl (local.get $nr) (i32.const 4))))
        (i32.store (local.get $p) (local.get $y))
        (i32.store offset=4 (local.get $p) (local.get $start))
        (i32.store offset=8 (local.get $p) (local.get $x))
        (i32.store offset=12 (local.get $p) (local.get $l))
        (local.set $nr (i32.add (local.get $nr) (i32.const 1)))
        (f64.store offset=15728640 (i32.shl (local.get $l) (i32.const 3))
          (f64.add (f64.load offset=15728640 (i32.shl (local.get $l) (i32.const 3)))
            (f64.convert_i32_s (i32.sub (local.get $x) (local.get $start)))))
        (if (local.get $withOwn) (then
          (local.set $holes (i32.const 0))
          (local.set $q (local.get $start))
          (block $od (loop $ol
            (br_if $od (i32.ge_s (local.get $q) (local.get $x)))
            (local.set $holes (i32.add (local.get $holes)
              (i32.ne (i32.load offset=14286848 (i32.shl (i32.add (local.get $row) (local.get $q)) (i32.const 2))) (i32.const 1))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $ol)))
          (f64.store offset=15761408 (i32.shl (local.get $l) (i32.const 3))
            (f64.add (f64.load offset=15761408 (i32.shl (local.get $l) (i32.const 3))) (f64.convert_i32_s (local.get $holes))))))
        (if (local.get $borderTest) (then
          (if (i32.or (local.get $rowEdge)
                (i32.or (i32.eqz (i32.add (local.get $x0) (local.get $start))) (i32.eq (i32.add (local.get $x0) (local.get $x)) (local.get $X))))
            (then (i32.store8 offset=15794176 (local.get $l) (i32.const 1))))))
        (br $xl)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $yl)))
    (local.get $nr))

  ;; object-rules.ts `fillLabelHolesCounted` of a ly × lx plane of labels at BL (u32; any nonzero value, 0xffffffff
  ;; included, is a label), in place: the background reachable from the plane's edge (4-neighbours) is marked first,
  ;; then every other background region, with the labels around it: enclosed by one label, it gets that label when it
  ;; has fewer than $maxHole voxels, else it counts as a large hole. Marks (u8) at 14680064, the queue (i32) at 14745600
  ;; (over the paste's run scratch, unused meanwhile). Returns the voxels filled; the large holes at 15007744 (i32).
  (func $visitBackground (param $i i32) (param $tail i32) (result i32)
    (if (result i32) (i32.and (i32.eqz (i32.load offset=14024704 (i32.shl (local.get $i) (i32.const 2))))
          (i32.eqz (i32.load8_u offset=14680064 (local.get $i))))
      (then
        (i32.store8 offset=14680064 (local.get $i) (i32.const 1))
        (i32.store offset=14745600 (i32.shl (local.get $tail) (i32.const 2)) (local.get $i))
        (i32.add (local.get $tail) (i32.const 1)))
      (else (local.get $tail))))

  ;; declump.ts's flood mask of component $c on its box (rows y0 … y0 + ly − 1 and columns x0 … x0 + lx − 1 of a
  ;; plane, which hold all of the component's runs) from the image's runs loaded by `runStats` (ROWSTART, X0, X1, COMP
  ;; of declump-kernels-runs.wat): 1 on the component's runs, 0 elsewhere, into NEED (u8), and each box row's span
  ;; [from, to) of the component's voxels into BF / BT (from = lx, to = 0 on a row without any) — the loop it replaces
  ;; ran once per clump row in V8's interpreter in a fresh process.
  (func (export "boxRunsMask") (param $c i32) (param $y0 i32) (param $x0 i32) (param $ly i32) (param $lx i32)
    (local $y i32) (local $k i32) (local $q i32) (local $qEnd i32) (local $from i32) (local $to i32) (local $a i32)
    (local $r4 i32) (local $q4 i32)
    (memory.fill (i32.const 720896) (i32.const 0) (i32.mul (local.get $ly) (local.get $lx)))
    (block $yd (loop $yl
      (br_if $yd (i32.ge_s (local.get $y) (local.get $ly)))
      (local.set $r4 (i32.shl (i32.add (local.get $y0) (local.get $y)) (i32.const 2)))
      (local.set $q (i32.load offset=3407872 (local.get $r4)))
      (local.set $qEnd (i32.load offset=3407876 (local.get $r4)))
      (local.set $from (local.get $lx))
      (local.set $to (i32.const 0))
      (block $qd (loop $ql
        (br_if $qd (i32.ge_s (local.get $q) (local.get $qEnd)))
        (local.set $q4 (i32.shl (local.get $q) (i32.const 2)))
        (if (i32.eq (i32.load offset=4259840 (local.get $q4)) (local.get $c)) (then
          ;; runs of a row come in x order: the last one's end is the span's
          (local.set $a (i32.sub (i32.load offset=3735552 (local.get $q4)) (local.get $x0)))
          (local.set $to (i32.sub (i32.load offset=3997696 (local.get $q4)) (local.get $x0)))
          (if (i32.lt_s (local.get $a) (local.get $from)) (then (local.set $from (local.get $a))))
          (memory.fill (i32.add (i32.const 720896) (i32.add (local.get $k) (local.get $a))) (i32.const 1)
            (i32.sub (local.get $to) (local.get $a)))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $ql)))
      (i32.store offset=14548992 (i32.shl (local.get $y) (i32.const 2)) (local.get $from))
      (i32.store offset=14614528 (i32.shl (local.get $y) (i32.const 2)) (local.get $to))
      (local.set $k (i32.add (local.get $k) (local.get $lx)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $yl))))

    (func (export "boxFillHoles") (param $ly i32) (param $lx i32) (param $maxHole f64) (result i32)
    (local $n i32) (local $y i32) (local $x i32) (local $tail i32) (local $head i32) (local $i i32) (local $s i32)
    (local $owner i32) (local $state i32) (local $l i32) (local $d i32) (local $filled i32) (local $large i32) (local $k i32)
    (local.set $n (i32.mul (local.get $ly) (local.get $lx)))
    (memory.fill (i32.const 14680064) (i32.const 0) (local.get $n))
    ;; seeds: the background on the plane's edge
    (local.set $y (i32.const 0))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_s (local.get $y) (local.get $ly)))
      (if (i32.or (i32.eqz (local.get $y)) (i32.eq (local.get $y) (i32.sub (local.get $ly) (i32.const 1))))
        (then
          (local.set $x (i32.const 0))
          (block $xd (loop $xl
            (br_if $xd (i32.ge_s (local.get $x) (local.get $lx)))
            (local.set $tail (call $visitBackground (i32.add (i32.mul (local.get $y) (local.get $lx)) (local.get $x)) (local.get $tail)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xl))))
        (else
          (local.set $tail (call $visitBackground (i32.mul (local.get $y) (local.get $lx)) (local.get $tail)))
          (local.set $tail (call $visitBackground (i32.sub (i32.mul (i32.add (local.get $y) (i32.const 1)) (local.get $lx)) (i32.const 1)) (local.get $tail)))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $sl)))
    ;; spread from the edge (bounds checked)
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $head) (local.get $tail)))
      (local.set $i (i32.load offset=14745600 (i32.shl (local.get $head) (i32.const 2))))
      (local.set $head (i32.add (local.get $head) (i32.const 1)))
      (local.set $x (i32.rem_u (local.get $i) (local.get $lx)))
      (if (i32.gt_s (local.get $x) (i32.const 0)) (then (local.set $tail (call $visitBackground (i32.sub (local.get $i) (i32.const 1)) (local.get $tail)))))
      (if (i32.lt_s (local.get $x) (i32.sub (local.get $lx) (i32.const 1))) (then (local.set $tail (call $visitBackground (i32.add (local.get $i) (i32.const 1)) (local.get $tail)))))
      (if (i32.ge_s (local.get $i) (local.get $lx)) (then (local.set $tail (call $visitBackground (i32.sub (local.get $i) (local.get $lx)) (local.get $tail)))))
      (if (i32.lt_s (i32.add (local.get $i) (local.get $lx)) (local.get $n)) (then (local.set $tail (call $visitBackground (i32.add (local.get $i) (local.get $lx)) (local.get $tail)))))
      (br $bl)))
    ;; enclosed regions, in raster order of their first voxel
    (local.set $s (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $s) (local.get $n)))
      (if (i32.and (i32.eqz (i32.load offset=14024704 (i32.shl (local.get $s) (i32.const 2))))
            (i32.eqz (i32.load8_u offset=14680064 (local.get $s)))) (then
        (i32.store8 offset=14680064 (local.get $s) (i32.const 1))
        (i32.store offset=14745600 (i32.const 0) (local.get $s))
        (local.set $tail (i32.const 1))
        (local.set $head (i32.const 0))
        ;; owner: $state 0 = none yet, 1 = one label ($owner), 2 = several
        (local.set $state (i32.const 0))
        (block $gd (loop $gl
          (br_if $gd (i32.ge_s (local.get $head) (local.get $tail)))
          (local.set $i (i32.load offset=14745600 (i32.shl (local.get $head) (i32.const 2))))
          (local.set $head (i32.add (local.get $head) (i32.const 1)))
          ;; the four face neighbours (inside the plane: the region touches no edge)
          (local.set $k (i32.const 0))
          (block $nd (loop $nl
            (br_if $nd (i32.ge_s (local.get $k) (i32.const 4)))
            (local.set $d (select (select (i32.const -1) (i32.const 1) (i32.eqz (local.get $k)))
              (select (i32.sub (i32.const 0) (local.get $lx)) (local.get $lx) (i32.eq (local.get $k) (i32.const 2)))
              (i32.lt_s (local.get $k) (i32.const 2))))
            (local.set $l (i32.load offset=14024704 (i32.shl (i32.add (local.get $i) (local.get $d)) (i32.const 2))))
            (if (i32.and (i32.ne (local.get $l) (i32.const 0)) (i32.ne (local.get $state) (i32.const 2))) (then
              (if (i32.eqz (local.get $state))
                (then (local.set $owner (local.get $l)) (local.set $state (i32.const 1)))
                (else (if (i32.ne (local.get $owner) (local.get $l)) (then (local.set $state (i32.const 2))))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $nl)))
          (local.set $tail (call $visitBackground (i32.sub (local.get $i) (i32.const 1)) (local.get $tail)))
          (local.set $tail (call $visitBackground (i32.add (local.get $i) (i32.const 1)) (local.get $tail)))
          (local.set $tail (call $visitBackground (i32.sub (local.get $i) (local.get $lx)) (local.get $tail)))
          (local.set $tail (call $visitBackground (i32.add (local.get $i) (local.get $lx)) (local.get $tail)))
          (br $gl)))
        (if (i32.eq (local.get $state) (i32.const 1)) (then
          (if (f64.ge (f64.convert_i32_s (local.get $tail)) (local.get $maxHole))
            (then (local.set $large (i32.add (local.get $large) (i32.const 1))))
            (else
              (local.set $k (i32.const 0))
              (block $fd (loop $fl
                (br_if $fd (i32.ge_s (local.get $k) (local.get $tail)))
                (i32.store offset=14024704 (i32.shl (i32.load offset=14745600 (i32.shl (local.get $k) (i32.const 2))) (i32.const 2)) (local.get $owner))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $fl)))
              (local.set $filled (i32.add (local.get $filled) (local.get $tail)))))))))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $rl)))
    (i32.store (i32.const 15007744) (local.get $large))
    (local.get $filled))
