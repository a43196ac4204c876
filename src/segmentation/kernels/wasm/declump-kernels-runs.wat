  ;; Per-run passes of declumping over a whole image's runs (runs.ts layout), in WebAssembly because a fresh process
  ;; runs them once, in V8's interpreter and baseline tiers (several ms on the 2048² bench image), where compiled
  ;; WebAssembly costs a fraction of a millisecond (docs/declumping.md, "Cold start"). Integer work only: the same
  ;; numbers as the JavaScript loops (component-runs.ts `componentRunStats`, convex-hull.ts `componentRunIndex`).
  ;; Memory: ROWSTART 3407872, X0 3735552, X1 3997696, COMP 4259840, PAIRS 4521984 (i32 per row / run), BOXES 4784128
  ;; (6 i32 per component), VOXELS 6356992 (f64), NRUNS 6881280, EDGES 7143424 (i32), HOLEFREE 7405568 (u8),
  ;; FILL 7471104 (i32 per component), RUNSOF 7733248, ROWOF 7995392, PARENT 8257536 (i32 per run); the hull's run arrays at
  ;; 2621440 (x0), 2883584 (x1 − 1), 3145728 (row).

  ;; `componentRunStats`' pass over the runs: boxes, voxel and run counts of components 1…count (component 0: zeros,
  ;; as there), and with $withPairs the hole-free flags from each run's touching pairs (PAIRS).
  (func (export "runStats") (param $Z i32) (param $Y i32) (param $X i32) (param $count i32) (param $runCount i32) (param $withPairs i32)
    (local $c i32) (local $b i32) (local $z i32) (local $y i32) (local $r i32) (local $k i32) (local $kEnd i32)
    (local $a i32) (local $e i32) (local $c4 i32)
    (memory.fill (i32.const 4784128) (i32.const 0) (i32.mul (i32.add (local.get $count) (i32.const 1)) (i32.const 24)))
    (memory.fill (i32.const 6356992) (i32.const 0) (i32.shl (i32.add (local.get $count) (i32.const 1)) (i32.const 3)))
    (memory.fill (i32.const 6881280) (i32.const 0) (i32.shl (i32.add (local.get $count) (i32.const 1)) (i32.const 2)))
    (memory.fill (i32.const 7143424) (i32.const 0) (i32.shl (i32.add (local.get $count) (i32.const 1)) (i32.const 2)))
    (memory.fill (i32.const 7405568) (i32.const 0) (i32.add (local.get $count) (i32.const 1)))
    (local.set $c (i32.const 1))
    (block $id (loop $il
      (br_if $id (i32.gt_s (local.get $c) (local.get $count)))
      (local.set $b (i32.mul (local.get $c) (i32.const 24)))
      (i32.store offset=4784128 (local.get $b) (local.get $Z))
      (i32.store offset=4784136 (local.get $b) (local.get $Y))
      (i32.store offset=4784144 (local.get $b) (local.get $X))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $il)))
    (local.set $z (i32.const 0))
    (local.set $r (i32.const 0))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_s (local.get $z) (local.get $Z)))
      (local.set $y (i32.const 0))
      (block $yd (loop $yl
        (br_if $yd (i32.ge_s (local.get $y) (local.get $Y)))
        (local.set $k (i32.load offset=3407872 (i32.shl (local.get $r) (i32.const 2))))
        (local.set $kEnd (i32.load offset=3407876 (i32.shl (local.get $r) (i32.const 2))))
        (block $kd (loop $kl
          (br_if $kd (i32.ge_s (local.get $k) (local.get $kEnd)))
          (local.set $c (i32.load offset=4259840 (i32.shl (local.get $k) (i32.const 2))))
          (local.set $a (i32.load offset=3735552 (i32.shl (local.get $k) (i32.const 2))))
          (local.set $e (i32.load offset=3997696 (i32.shl (local.get $k) (i32.const 2))))
          (local.set $c4 (i32.shl (local.get $c) (i32.const 2)))
          (local.set $b (i32.mul (local.get $c) (i32.const 24)))
          (i32.store offset=6881280 (local.get $c4) (i32.add (i32.load offset=6881280 (local.get $c4)) (i32.const 1)))
          (f64.store offset=6356992 (i32.shl (local.get $c) (i32.const 3))
            (f64.add (f64.load offset=6356992 (i32.shl (local.get $c) (i32.const 3))) (f64.convert_i32_s (i32.sub (local.get $e) (local.get $a)))))
          (if (i32.lt_s (local.get $z) (i32.load offset=4784128 (local.get $b))) (then (i32.store offset=4784128 (local.get $b) (local.get $z))))
          (if (i32.gt_s (i32.add (local.get $z) (i32.const 1)) (i32.load offset=4784132 (local.get $b)))
            (then (i32.store offset=4784132 (local.get $b) (i32.add (local.get $z) (i32.const 1)))))
          (if (i32.lt_s (local.get $y) (i32.load offset=4784136 (local.get $b))) (then (i32.store offset=4784136 (local.get $b) (local.get $y))))
          (if (i32.gt_s (i32.add (local.get $y) (i32.const 1)) (i32.load offset=4784140 (local.get $b)))
            (then (i32.store offset=4784140 (local.get $b) (i32.add (local.get $y) (i32.const 1)))))
          (if (i32.lt_s (local.get $a) (i32.load offset=4784144 (local.get $b))) (then (i32.store offset=4784144 (local.get $b) (local.get $a))))
          (if (i32.gt_s (local.get $e) (i32.load offset=4784148 (local.get $b))) (then (i32.store offset=4784148 (local.get $b) (local.get $e))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $kl)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $yl)))
      (local.set $z (i32.add (local.get $z) (i32.const 1)))
      (br $zl)))
    (if (local.get $withPairs) (then
      ;; holes = touching pairs − runs + 1 (Euler number of a plane's component, component-runs.ts)
      (local.set $k (i32.const 0))
      (block $pd (loop $pl
        (br_if $pd (i32.ge_s (local.get $k) (local.get $runCount)))
        (local.set $c4 (i32.shl (i32.load offset=4259840 (i32.shl (local.get $k) (i32.const 2))) (i32.const 2)))
        (i32.store offset=7143424 (local.get $c4)
          (i32.add (i32.load offset=7143424 (local.get $c4)) (i32.load offset=4521984 (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $pl)))
      (local.set $c (i32.const 1))
      (block $hd (loop $hl
        (br_if $hd (i32.gt_s (local.get $c) (local.get $count)))
        (local.set $c4 (i32.shl (local.get $c) (i32.const 2)))
        (i32.store8 offset=7405568 (local.get $c)
          (i32.eqz (i32.add (i32.sub (i32.load offset=7143424 (local.get $c4)) (i32.load offset=6881280 (local.get $c4))) (i32.const 1))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $hl))))))

  ;; `componentRunIndex`' pass: with FILL holding each component's first slot, every run k (raster order) goes to
  ;; slot FILL[comp]++ of RUNSOF, its row to ROWOF[k], and with $withHull its x0, x1 − 1 and row to the hull's arrays.
  (func (export "runIndex") (param $rows i32) (param $withHull i32)
    (local $r i32) (local $k i32) (local $kEnd i32) (local $c4 i32) (local $q i32) (local $q4 i32) (local $k4 i32)
    (local.set $r (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $r) (local.get $rows)))
      (local.set $k (i32.load offset=3407872 (i32.shl (local.get $r) (i32.const 2))))
      (local.set $kEnd (i32.load offset=3407876 (i32.shl (local.get $r) (i32.const 2))))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_s (local.get $k) (local.get $kEnd)))
        (local.set $k4 (i32.shl (local.get $k) (i32.const 2)))
        (local.set $c4 (i32.shl (i32.load offset=4259840 (local.get $k4)) (i32.const 2)))
        (local.set $q (i32.load offset=7471104 (local.get $c4)))
        (i32.store offset=7471104 (local.get $c4) (i32.add (local.get $q) (i32.const 1)))
        (local.set $q4 (i32.shl (local.get $q) (i32.const 2)))
        (i32.store offset=7995392 (local.get $k4) (local.get $r))
        (i32.store offset=7733248 (local.get $q4) (local.get $k))
        (if (local.get $withHull) (then
          (i32.store offset=2621440 (local.get $q4) (i32.load offset=3735552 (local.get $k4)))
          (i32.store offset=2883584 (local.get $q4) (i32.sub (i32.load offset=3997696 (local.get $k4)) (i32.const 1)))
          (i32.store offset=3145728 (local.get $q4) (local.get $r))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  (func $findRoot (param $a i32) (result i32)
    (local $p i32)
    (block $d (loop $l
      (local.set $p (i32.load offset=8257536 (i32.shl (local.get $a) (i32.const 2))))
      (br_if $d (i32.eq (local.get $p) (local.get $a)))
      (local.set $p (i32.load offset=8257536 (i32.shl (local.get $p) (i32.const 2))))
      (i32.store offset=8257536 (i32.shl (local.get $a) (i32.const 2)) (local.get $p))
      (local.set $a (local.get $p))
      (br $l)))
    (local.get $a))

  ;; component-runs.ts `faceConnectedRuns` of the runs [qStart, qEnd) of the hull's arrays (one component's runs in
  ;; raster order, `runIndex` with $withHull): 1 when they are connected through overlapping x ranges of adjacent
  ;; rows. Union-find parents (local indices) at PARENT 8257536.
  (func $faceConnected (export "faceConnected") (param $qStart i32) (param $qEnd i32) (result i32)
    (local $q i32) (local $m i32) (local $p0 i32) (local $p1 i32) (local $prevRow i32) (local $g0 i32) (local $g1 i32)
    (local $row i32) (local $i i32) (local $j i32) (local $ki4 i32) (local $kj4 i32) (local $a i32) (local $b i32)
    (local.set $m (i32.sub (local.get $qEnd) (local.get $qStart)))
    ;; most components are a chain of single runs, each overlapping the next row's
    (local.set $q (i32.add (local.get $qStart) (i32.const 1)))
    (block $notChain
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s (local.get $q) (local.get $qEnd)))
        (local.set $ki4 (i32.shl (local.get $q) (i32.const 2)))
        (local.set $kj4 (i32.sub (local.get $ki4) (i32.const 4)))
        (br_if $notChain (i32.ne (i32.load offset=3145728 (local.get $ki4)) (i32.add (i32.load offset=3145728 (local.get $kj4)) (i32.const 1))))
        (br_if $notChain (i32.lt_s (i32.load offset=2883584 (local.get $kj4)) (i32.load offset=2621440 (local.get $ki4))))
        (br_if $notChain (i32.lt_s (i32.load offset=2883584 (local.get $ki4)) (i32.load offset=2621440 (local.get $kj4))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $cl)))
      (return (i32.const 1)))
    (local.set $q (i32.const 0))
    (block $id (loop $il
      (br_if $id (i32.ge_s (local.get $q) (local.get $m)))
      (i32.store offset=8257536 (i32.shl (local.get $q) (i32.const 2)) (local.get $q))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $il)))
    (local.set $prevRow (i32.const -2))
    (local.set $g0 (i32.const 0))
    (block $gd (loop $gl
      (br_if $gd (i32.ge_s (local.get $g0) (local.get $m)))
      (local.set $row (i32.load offset=3145728 (i32.shl (i32.add (local.get $qStart) (local.get $g0)) (i32.const 2))))
      (local.set $g1 (i32.add (local.get $g0) (i32.const 1)))
      (block $rd (loop $rl
        (br_if $rd (i32.ge_s (local.get $g1) (local.get $m)))
        (br_if $rd (i32.ne (i32.load offset=3145728 (i32.shl (i32.add (local.get $qStart) (local.get $g1)) (i32.const 2))) (local.get $row)))
        (local.set $g1 (i32.add (local.get $g1) (i32.const 1)))
        (br $rl)))
      (if (i32.eq (local.get $row) (i32.add (local.get $prevRow) (i32.const 1))) (then
        (local.set $i (local.get $g0))
        (local.set $j (local.get $p0))
        (block $md (loop $ml
          (br_if $md (i32.ge_s (local.get $i) (local.get $g1)))
          (br_if $md (i32.ge_s (local.get $j) (local.get $p1)))
          (local.set $ki4 (i32.shl (i32.add (local.get $qStart) (local.get $i)) (i32.const 2)))
          (local.set $kj4 (i32.shl (i32.add (local.get $qStart) (local.get $j)) (i32.const 2)))
          ;; x1 = last + 1: x1[kj] <= x0[ki] is last[kj] < x0[ki]
          (if (i32.lt_s (i32.load offset=2883584 (local.get $kj4)) (i32.load offset=2621440 (local.get $ki4)))
            (then (local.set $j (i32.add (local.get $j) (i32.const 1))))
            (else (if (i32.lt_s (i32.load offset=2883584 (local.get $ki4)) (i32.load offset=2621440 (local.get $kj4)))
              (then (local.set $i (i32.add (local.get $i) (i32.const 1))))
              (else
                (local.set $a (call $findRoot (local.get $i)))
                (local.set $b (call $findRoot (local.get $j)))
                (if (i32.lt_s (local.get $a) (local.get $b))
                  (then (i32.store offset=8257536 (i32.shl (local.get $b) (i32.const 2)) (local.get $a)))
                  (else (if (i32.lt_s (local.get $b) (local.get $a))
                    (then (i32.store offset=8257536 (i32.shl (local.get $a) (i32.const 2)) (local.get $b))))))
                (if (i32.lt_s (i32.load offset=2883584 (local.get $ki4)) (i32.load offset=2883584 (local.get $kj4)))
                  (then (local.set $i (i32.add (local.get $i) (i32.const 1))))
                  (else (local.set $j (i32.add (local.get $j) (i32.const 1)))))))))
          (br $ml)))))
      (local.set $p0 (local.get $g0))
      (local.set $p1 (local.get $g1))
      (local.set $prevRow (local.get $row))
      (local.set $g0 (local.get $g1))
      (br $gl)))
    (local.set $q (i32.const 1))
    (block $fd (loop $fl
      (br_if $fd (i32.ge_s (local.get $q) (local.get $m)))
      (if (i32.ne (call $findRoot (local.get $q)) (i32.const 0)) (then (return (i32.const 0))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $fl)))
    (i32.const 1))
