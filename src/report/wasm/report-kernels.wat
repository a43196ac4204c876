;; The run report's full-resolution passes over 16-bit planes (downsample.ts, run-planes.ts): block sums of an
;; image plane with its exact histogram, block maxima of a label plane, and per-label sums of a channel. In
;; JavaScript these ran mostly before V8 had optimised them (one call per plane, ~60 ms of a 2048² report's main
;; thread); WebAssembly is compiled before it runs. Every sum is of integers (u16 values; i64 within a row's
;; block, f64 across rows: exact below 2^53), so the results are the same bits as the JavaScript loops whatever
;; the order.
;; Pointers are byte offsets into the exported memory, which the caller (kernels-wasm.ts) lays out and grows.
;; Build: node scripts/build-report-wasm.mjs (needs the `wabt` npm package; output committed).
(module
  (memory (export "memory") 1)

  ;; Block sums and histogram of $nRows rows of $bw u16 values (row r at $data + 2·r·$bw): for each block u of
  ;; the w blocks (columns [cols[u], cols[u+1]), i32 at $cols, cols[0] = 0), acc[u] (f64 at $acc) += the sum of
  ;; the block's values in these rows; hist[v] (u32 at $hist, 65536 bins) += 1 for every value of the rows,
  ;; columns [0, $bw) (also those right of the last block). $w = 0 (with cols[0] = 0) counts the histogram only.
  ;; $hist = -1: no histogram.
  (func $sumsHistU16 (export "sumsHistU16") (param $data i32) (param $nRows i32) (param $bw i32) (param $cols i32) (param $w i32)
      (param $acc i32) (param $hist i32)
    (local $r i32) (local $p i32) (local $u i32) (local $x i32) (local $e i32) (local $v i32) (local $s i64)
    (local $h i32)
    (block $rdone
      (loop $rows
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $nRows)))
        (local.set $p (i32.add (local.get $data) (i32.shl (i32.mul (local.get $r) (local.get $bw)) (i32.const 1))))
        (local.set $u (i32.const 0))
        (local.set $x (i32.load (local.get $cols)))
        (block $udone
          (loop $blocks
            (br_if $udone (i32.ge_u (local.get $u) (local.get $w)))
            (local.set $e (i32.load (i32.add (local.get $cols) (i32.shl (i32.add (local.get $u) (i32.const 1)) (i32.const 2)))))
            (local.set $s (i64.const 0))
            (if (i32.eq (local.get $hist) (i32.const -1))
              (then
                (block $sdone
                  (loop $sum
                    (br_if $sdone (i32.ge_u (local.get $x) (local.get $e)))
                    (local.set $s (i64.add (local.get $s)
                      (i64.load16_u (i32.add (local.get $p) (i32.shl (local.get $x) (i32.const 1))))))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $sum))))
              (else
                (block $xdone
                  (loop $px
                    (br_if $xdone (i32.ge_u (local.get $x) (local.get $e)))
                    (local.set $v (i32.load16_u (i32.add (local.get $p) (i32.shl (local.get $x) (i32.const 1)))))
                    (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (local.get $v))))
                    (local.set $h (i32.add (local.get $hist) (i32.shl (local.get $v) (i32.const 2))))
                    (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $px)))))
            (local.set $h (i32.add (local.get $acc) (i32.shl (local.get $u) (i32.const 3))))
            (f64.store (local.get $h) (f64.add (f64.load (local.get $h)) (f64.convert_i64_u (local.get $s))))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $blocks)))
        ;; right of the last block: counted, in no block
        (if (i32.ne (local.get $hist) (i32.const -1))
          (then
            (block $tdone
              (loop $tail
                (br_if $tdone (i32.ge_u (local.get $x) (local.get $bw)))
                (local.set $h (i32.add (local.get $hist)
                  (i32.shl (i32.load16_u (i32.add (local.get $p) (i32.shl (local.get $x) (i32.const 1)))) (i32.const 2))))
                (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $tail)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; Area averages of $nBlocks block rows of a u16 plane: block row v is rows [rows[v], rows[v+1]) (i32 at $rows,
  ;; relative to $data, row r at $data + 2·r·$bw); out[v·w + u] (f32 at $out) = (sum of block (v, u)) / (its pixel
  ;; count), divided in f64 and rounded to f32 as JavaScript's Float32Array store does. $acc: w f64 of scratch.
  ;; $hist as in sumsHistU16.
  (func (export "downU16") (param $data i32) (param $nBlocks i32) (param $rows i32) (param $bw i32) (param $cols i32)
      (param $w i32) (param $acc i32) (param $hist i32) (param $out i32)
    (local $v i32) (local $r0 i32) (local $n i32) (local $u i32) (local $c0 i32) (local $c1 i32) (local $o i32)
    (block $vdone
      (loop $blockRows
        (br_if $vdone (i32.ge_u (local.get $v) (local.get $nBlocks)))
        (local.set $r0 (i32.load (i32.add (local.get $rows) (i32.shl (local.get $v) (i32.const 2)))))
        (local.set $n (i32.sub (i32.load (i32.add (local.get $rows) (i32.shl (i32.add (local.get $v) (i32.const 1)) (i32.const 2))))
          (local.get $r0)))
        (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $w) (i32.const 3)))
        (call $sumsHistU16 (i32.add (local.get $data) (i32.shl (i32.mul (local.get $r0) (local.get $bw)) (i32.const 1)))
          (local.get $n) (local.get $bw) (local.get $cols) (local.get $w) (local.get $acc) (local.get $hist))
        (local.set $u (i32.const 0))
        (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $v) (local.get $w)) (i32.const 2))))
        (local.set $c0 (i32.load (local.get $cols)))
        (block $udone
          (loop $blocks
            (br_if $udone (i32.ge_u (local.get $u) (local.get $w)))
            (local.set $c1 (i32.load (i32.add (local.get $cols) (i32.shl (i32.add (local.get $u) (i32.const 1)) (i32.const 2)))))
            (f32.store (i32.add (local.get $o) (i32.shl (local.get $u) (i32.const 2)))
              (f32.demote_f64 (f64.div (f64.load (i32.add (local.get $acc) (i32.shl (local.get $u) (i32.const 3))))
                (f64.mul (f64.convert_i32_u (local.get $n)) (f64.convert_i32_u (i32.sub (local.get $c1) (local.get $c0)))))))
            (local.set $c0 (local.get $c1))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $blocks)))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $blockRows))))

  ;; Block maxima of $nBlocks block rows of a u32 label plane: as downMaxU16, four pixels tested at once.
  (func (export "downMaxU32") (param $data i32) (param $nBlocks i32) (param $rows i32) (param $bw i32) (param $end i32)
      (param $colOf i32) (param $w i32) (param $out i32)
    (local $v i32) (local $r i32) (local $r1 i32) (local $o i32) (local $p i32) (local $x i32)
      (local $val i32) (local $q i32)
    (block $vdone
      (loop $blockRows
        (br_if $vdone (i32.ge_u (local.get $v) (local.get $nBlocks)))
        (local.set $r (i32.load (i32.add (local.get $rows) (i32.shl (local.get $v) (i32.const 2)))))
        (local.set $r1 (i32.load (i32.add (local.get $rows) (i32.shl (i32.add (local.get $v) (i32.const 1)) (i32.const 2)))))
        (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $v) (local.get $w)) (i32.const 2))))
        (memory.fill (local.get $o) (i32.const 0) (i32.shl (local.get $w) (i32.const 2)))
        (block $rdone
          (loop $rowsL
            (br_if $rdone (i32.ge_u (local.get $r) (local.get $r1)))
            (local.set $p (i32.add (local.get $data) (i32.shl (i32.mul (local.get $r) (local.get $bw)) (i32.const 2))))
            (local.set $x (i32.const 0))
            (block $xdone
              (loop $px
                (br_if $xdone (i32.ge_u (local.get $x) (local.get $end)))
                ;; a group of four background labels is skipped at once
                (if (i32.and (i32.le_u (i32.add (local.get $x) (i32.const 4)) (local.get $end)) (i32.eqz (i32.and (local.get $x) (i32.const 3))))
                  (then (if (i32.eqz (v128.any_true (v128.load align=1 (i32.add (local.get $p) (i32.shl (local.get $x) (i32.const 2))))))
                    (then (local.set $x (i32.add (local.get $x) (i32.const 4))) (br $px)))))
                (local.set $val (i32.load (i32.add (local.get $p) (i32.shl (local.get $x) (i32.const 2)))))
                (if (local.get $val)
                  (then
                    (local.set $q (i32.add (local.get $o)
                      (i32.shl (i32.load (i32.add (local.get $colOf) (i32.shl (local.get $x) (i32.const 2)))) (i32.const 2))))
                    (if (i32.gt_u (local.get $val) (i32.load (local.get $q)))
                      (then (i32.store (local.get $q) (local.get $val))))))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $px)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rowsL)))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $blockRows))))

  ;; downsample.ts downImageByBlock on an f32 plane: block (v, u) of $nBlocks block rows covers rows [rs[v], re[v])
  ;; (relative to $data, row length $bw) and columns [cs[u], ce[u]) (i32 arrays); its values that are > −∞ (not NaN,
  ;; not −∞) are summed in f64 row by row, left to right — the JavaScript order, so the same float sums —
  ;; and out[v·w + u] = f32(sum / pixel count).
  (func (export "downF32") (param $data i32) (param $nBlocks i32) (param $rs i32) (param $re i32) (param $bw i32)
      (param $cs i32) (param $ce i32) (param $w i32) (param $out i32)
    (local $v i32) (local $u i32) (local $y i32) (local $y1 i32) (local $x i32) (local $x0 i32) (local $x1 i32)
      (local $s f64) (local $val f32) (local $p i32)
    (block $vdone
      (loop $blockRows
        (br_if $vdone (i32.ge_u (local.get $v) (local.get $nBlocks)))
        (local.set $y1 (i32.load (i32.add (local.get $re) (i32.shl (local.get $v) (i32.const 2)))))
        (local.set $u (i32.const 0))
        (block $udone
          (loop $blocks
            (br_if $udone (i32.ge_u (local.get $u) (local.get $w)))
            (local.set $x0 (i32.load (i32.add (local.get $cs) (i32.shl (local.get $u) (i32.const 2)))))
            (local.set $x1 (i32.load (i32.add (local.get $ce) (i32.shl (local.get $u) (i32.const 2)))))
            (local.set $s (f64.const 0))
            (local.set $y (i32.load (i32.add (local.get $rs) (i32.shl (local.get $v) (i32.const 2)))))
            (block $ydone
              (loop $rowsL
                (br_if $ydone (i32.ge_u (local.get $y) (local.get $y1)))
                (local.set $p (i32.add (local.get $data) (i32.shl (i32.mul (local.get $y) (local.get $bw)) (i32.const 2))))
                (local.set $x (local.get $x0))
                (block $xdone
                  (loop $px
                    (br_if $xdone (i32.ge_u (local.get $x) (local.get $x1)))
                    (local.set $val (f32.load (i32.add (local.get $p) (i32.shl (local.get $x) (i32.const 2)))))
                    (if (f32.gt (local.get $val) (f32.const -inf))
                      (then (local.set $s (f64.add (local.get $s) (f64.promote_f32 (local.get $val))))))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $px)))
                (local.set $y (i32.add (local.get $y) (i32.const 1)))
                (br $rowsL)))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $v) (local.get $w)) (local.get $u)) (i32.const 2)))
              (f32.demote_f64 (f64.div (local.get $s)
                (f64.mul
                  (f64.convert_i32_u (i32.sub (local.get $y1) (i32.load (i32.add (local.get $rs) (i32.shl (local.get $v) (i32.const 2))))))
                  (f64.convert_i32_u (i32.sub (local.get $x1) (local.get $x0)))))))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $blocks)))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $blockRows))))

  ;; Block maxima of $nBlocks block rows of a u16 label plane (rows as in downU16): out[v·w + u] (u32 at $out) = the
  ;; largest label of block (v, u), 0 if none; columns [0, $end), colOf as in maxU16.
  (func (export "downMaxU16") (param $data i32) (param $nBlocks i32) (param $rows i32) (param $bw i32) (param $end i32)
      (param $colOf i32) (param $w i32) (param $out i32)
    (local $v i32) (local $r0 i32) (local $o i32)
    (block $vdone
      (loop $blockRows
        (br_if $vdone (i32.ge_u (local.get $v) (local.get $nBlocks)))
        (local.set $r0 (i32.load (i32.add (local.get $rows) (i32.shl (local.get $v) (i32.const 2)))))
        (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $v) (local.get $w)) (i32.const 2))))
        (memory.fill (local.get $o) (i32.const 0) (i32.shl (local.get $w) (i32.const 2)))
        (call $maxU16 (i32.add (local.get $data) (i32.shl (i32.mul (local.get $r0) (local.get $bw)) (i32.const 1)))
          (i32.sub (i32.load (i32.add (local.get $rows) (i32.shl (i32.add (local.get $v) (i32.const 1)) (i32.const 2))))
            (local.get $r0))
          (local.get $bw) (local.get $end) (local.get $colOf) (local.get $o))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $blockRows))))

  ;; Block maxima of $nRows rows of a u16 label plane (row r at $data + 2·r·$bw), columns [0, $end): out[colOf[x]]
  ;; (u32 at $out; colOf: i32 per column at $colOf) = max(out[…], label). Labels are mostly background: eight
  ;; pixels are tested at once (v128.any_true), and only a group with a nonzero label is walked pixel by pixel.
  (func $maxU16 (param $data i32) (param $nRows i32) (param $bw i32) (param $end i32) (param $colOf i32)
      (param $out i32)
    (local $r i32) (local $p i32) (local $x i32) (local $e8 i32)
    (local.set $e8 (i32.and (local.get $end) (i32.const -8)))
    (block $rdone
      (loop $rows
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $nRows)))
        (local.set $p (i32.add (local.get $data) (i32.shl (i32.mul (local.get $r) (local.get $bw)) (i32.const 1))))
        (local.set $x (i32.const 0))
        (block $gdone
          (loop $groups
            (br_if $gdone (i32.ge_u (local.get $x) (local.get $e8)))
            (if (v128.any_true (v128.load align=1 (i32.add (local.get $p) (i32.shl (local.get $x) (i32.const 1)))))
              (then (call $maxRun (local.get $p) (local.get $x) (i32.add (local.get $x) (i32.const 8)) (local.get $colOf) (local.get $out))))
            (local.set $x (i32.add (local.get $x) (i32.const 8)))
            (br $groups)))
        (call $maxRun (local.get $p) (local.get $x) (local.get $end) (local.get $colOf) (local.get $out))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; out[colOf[x]] = max(out[colOf[x]], row[x]) for x in [$x0, $x1) of the row at $p (u16), nonzero labels only.
  (func $maxRun (param $p i32) (param $x0 i32) (param $x1 i32) (param $colOf i32) (param $out i32)
    (local $x i32) (local $v i32) (local $o i32)
    (local.set $x (local.get $x0))
    (block $done
      (loop $px
        (br_if $done (i32.ge_u (local.get $x) (local.get $x1)))
        (local.set $v (i32.load16_u (i32.add (local.get $p) (i32.shl (local.get $x) (i32.const 1)))))
        (if (local.get $v)
          (then
            (local.set $o (i32.add (local.get $out)
              (i32.shl (i32.load (i32.add (local.get $colOf) (i32.shl (local.get $x) (i32.const 2)))) (i32.const 2))))
            (if (i32.gt_u (local.get $v) (i32.load (local.get $o)))
              (then (i32.store (local.get $o) (local.get $v))))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $px))))

  ;; For the $n pixels i with label l = lab[i] (u16 at $lab), 0 < l ≤ $maxLabel: sum[l] += val[i] (u16 at $val;
  ;; f64 at $sum, exact for integers below 2^53) and count[l] += 1 (f64 at $count). Background is skipped eight
  ;; pixels at a time.
  (func (export "labelSumsU16") (param $lab i32) (param $val i32) (param $n i32) (param $maxLabel i32) (param $sum i32)
      (param $count i32)
    (local $i i32) (local $n8 i32)
    (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
    (block $gdone
      (loop $groups
        (br_if $gdone (i32.ge_u (local.get $i) (local.get $n8)))
        (if (v128.any_true (v128.load align=1 (i32.add (local.get $lab) (i32.shl (local.get $i) (i32.const 1)))))
          (then (call $sumRun (local.get $lab) (local.get $val) (local.get $i) (i32.add (local.get $i) (i32.const 8))
            (local.get $maxLabel) (local.get $sum) (local.get $count))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $groups)))
    (call $sumRun (local.get $lab) (local.get $val) (local.get $i) (local.get $n) (local.get $maxLabel) (local.get $sum)
      (local.get $count)))

  (func $sumRun (param $lab i32) (param $val i32) (param $i0 i32) (param $i1 i32) (param $maxLabel i32) (param $sum i32)
      (param $count i32)
    (local $i i32) (local $l i32) (local $o i32)
    (local.set $i (local.get $i0))
    (block $done
      (loop $px
        (br_if $done (i32.ge_u (local.get $i) (local.get $i1)))
        (local.set $l (i32.load16_u (i32.add (local.get $lab) (i32.shl (local.get $i) (i32.const 1)))))
        (if (i32.and (i32.ne (local.get $l) (i32.const 0)) (i32.le_u (local.get $l) (local.get $maxLabel)))
          (then
            (local.set $o (i32.shl (local.get $l) (i32.const 3)))
            (f64.store (i32.add (local.get $sum) (local.get $o))
              (f64.add (f64.load (i32.add (local.get $sum) (local.get $o)))
                (f64.convert_i32_u (i32.load16_u (i32.add (local.get $val) (i32.shl (local.get $i) (i32.const 1)))))))
            (f64.store (i32.add (local.get $count) (local.get $o))
              (f64.add (f64.load (i32.add (local.get $count) (local.get $o))) (f64.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $px))))
  ;; ---- Overlay of a thumbnail (thumbnail.ts drawOverlay): the arithmetic of render/composite.ts addImage (gamma 1)
  ;; and of thumbnail.ts drawLabels / png-rgb.ts scanlines, in f64 as JavaScript computes it; each store to the
  ;; RGBA bytes is a Uint8ClampedArray store (ToUint8Clamp: NaN → 0, clamped to [0, 255], ties to even = f64.nearest).
  (func $clamp8 (param $x f64) (result i32)
    (if (result i32) (f64.ge (local.get $x) (f64.const 255))
      (then (i32.const 255))
      (else
        (if (result i32) (f64.gt (local.get $x) (f64.const 0))
          (then (i32.trunc_f64_u (f64.nearest (local.get $x))))
          (else (i32.const 0))))))

  ;; rgba[4i + c] += t · k_c for the $n f32 pixels at $d, t = (d[i] − lo) / span clamped to 1, skipped when ≤ 0 or NaN.
  (func (export "addImageF32") (param $d i32) (param $n i32) (param $lo f64) (param $span f64) (param $kr f64)
      (param $kg f64) (param $kb f64) (param $rgba i32)
    (local $i i32) (local $t f64) (local $o i32)
    (block $done
      (loop $px
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $t (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 2)))))
          (local.get $lo)))
        (if (f64.gt (local.get $t) (f64.const 0))
          (then
            (local.set $t (select (f64.const 1) (f64.div (local.get $t) (local.get $span))
              (f64.ge (local.get $t) (local.get $span))))
            (local.set $o (i32.add (local.get $rgba) (i32.shl (local.get $i) (i32.const 2))))
            ;; a colour component of 0 (magenta's green, cyan's red) adds 0 to an integer byte: left as it is
            (if (f64.ne (local.get $kr) (f64.const 0))
              (then (i32.store8 (local.get $o) (call $clamp8 (f64.add (f64.convert_i32_u (i32.load8_u (local.get $o)))
                (f64.mul (local.get $t) (local.get $kr)))))))
            (if (f64.ne (local.get $kg) (f64.const 0))
              (then (i32.store8 offset=1 (local.get $o) (call $clamp8 (f64.add (f64.convert_i32_u (i32.load8_u offset=1 (local.get $o)))
                (f64.mul (local.get $t) (local.get $kg)))))))
            (if (f64.ne (local.get $kb) (f64.const 0))
              (then (i32.store8 offset=2 (local.get $o) (call $clamp8 (f64.add (f64.convert_i32_u (i32.load8_u offset=2 (local.get $o)))
                (f64.mul (local.get $t) (local.get $kb)))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $px))))

  ;; rgba[4i + c] = rgba[4i + c]·(1 − a) + colour_c·a; the colour is four f64 (r, g, b, a) at $c.
  (func $blend (param $rgba i32) (param $i i32) (param $c i32)
    (local $o i32) (local $a f64) (local $b f64)
    (local.set $o (i32.add (local.get $rgba) (i32.shl (local.get $i) (i32.const 2))))
    (local.set $a (f64.load offset=24 (local.get $c)))
    (local.set $b (f64.sub (f64.const 1) (local.get $a)))
    (i32.store8 (local.get $o) (call $clamp8 (f64.add (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $o))) (local.get $b))
      (f64.mul (f64.load (local.get $c)) (local.get $a)))))
    (i32.store8 offset=1 (local.get $o) (call $clamp8 (f64.add (f64.mul (f64.convert_i32_u (i32.load8_u offset=1 (local.get $o))) (local.get $b))
      (f64.mul (f64.load offset=8 (local.get $c)) (local.get $a)))))
    (i32.store8 offset=2 (local.get $o) (call $clamp8 (f64.add (f64.mul (f64.convert_i32_u (i32.load8_u offset=2 (local.get $o))) (local.get $b))
      (f64.mul (f64.load offset=16 (local.get $c)) (local.get $a))))))

  ;; Whether pixel i = (x, y) of the w × h u32 label plane at $d has a 4-neighbour whose label is not $id.
  (func $isEdge (param $d i32) (param $w i32) (param $h i32) (param $x i32) (param $y i32) (param $i i32) (param $id i32)
      (result i32)
    (local $p i32)
    (local.set $p (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 2))))
    (if (i32.and (i32.gt_u (local.get $x) (i32.const 0)) (i32.ne (i32.load (i32.sub (local.get $p) (i32.const 4))) (local.get $id)))
      (then (return (i32.const 1))))
    (if (i32.and (i32.lt_u (local.get $x) (i32.sub (local.get $w) (i32.const 1))) (i32.ne (i32.load offset=4 (local.get $p)) (local.get $id)))
      (then (return (i32.const 1))))
    (if (i32.gt_u (local.get $y) (i32.const 0))
      (then (if (i32.ne (i32.load (i32.sub (local.get $p) (i32.shl (local.get $w) (i32.const 2)))) (local.get $id))
        (then (return (i32.const 1))))))
    (if (i32.lt_u (local.get $y) (i32.sub (local.get $h) (i32.const 1)))
      (then (if (i32.ne (i32.load (i32.add (local.get $p) (i32.shl (local.get $w) (i32.const 2)))) (local.get $id))
        (then (return (i32.const 1))))))
    (i32.const 0))

  ;; thumbnail.ts drawLabels: label planes (u32, w × h; -1 = absent) drawn in this order per pixel — cell fill
  ;; (grey without image, positive fill) and outline, third-channel, marker and ROI outlines ($roiId -1: any ROI).
  ;; $pos: one byte per label ≤ $maxPos, 1 = marker-positive. Colours (four f64 each) at $colors: no-image fill,
  ;; positive fill, positive outline, cell outline, third channel, marker, ROI. Rows [$y0, $y1) of the plane.
  (func (export "drawLabels") (param $y0 i32) (param $y1 i32) (param $w i32) (param $h i32) (param $cell i32) (param $marker i32) (param $region i32)
      (param $rois i32) (param $rgba i32) (param $pos i32) (param $maxPos i32) (param $noImage i32) (param $roiId i32)
      (param $colors i32)
    (local $x i32) (local $y i32) (local $i i32) (local $id i32) (local $isPos i32)
    (local.set $y (local.get $y0))
    (local.set $i (i32.mul (local.get $y0) (local.get $w)))
    (block $ydone
      (loop $rowsL
        (br_if $ydone (i32.ge_u (local.get $y) (local.get $y1)))
        (local.set $x (i32.const 0))
        (block $xdone
          (loop $px
            (br_if $xdone (i32.ge_u (local.get $x) (local.get $w)))
            (if (i32.ne (local.get $cell) (i32.const -1))
              (then
                (local.set $id (i32.load (i32.add (local.get $cell) (i32.shl (local.get $i) (i32.const 2)))))
                (if (local.get $id)
                  (then
                    (if (local.get $noImage) (then (call $blend (local.get $rgba) (local.get $i) (local.get $colors))))
                    (local.set $isPos (i32.const 0))
                    (if (i32.le_u (local.get $id) (local.get $maxPos))
                      (then (local.set $isPos (i32.eq (i32.load8_u (i32.add (local.get $pos) (local.get $id))) (i32.const 1)))))
                    (if (local.get $isPos)
                      (then (call $blend (local.get $rgba) (local.get $i) (i32.add (local.get $colors) (i32.const 32)))))
                    (if (call $isEdge (local.get $cell) (local.get $w) (local.get $h) (local.get $x) (local.get $y) (local.get $i) (local.get $id))
                      (then (call $blend (local.get $rgba) (local.get $i)
                        (i32.add (local.get $colors) (select (i32.const 64) (i32.const 96) (local.get $isPos))))))))))
            (if (i32.ne (local.get $region) (i32.const -1))
              (then
                (local.set $id (i32.load (i32.add (local.get $region) (i32.shl (local.get $i) (i32.const 2)))))
                (if (local.get $id)
                  (then (if (call $isEdge (local.get $region) (local.get $w) (local.get $h) (local.get $x) (local.get $y) (local.get $i) (local.get $id))
                    (then (call $blend (local.get $rgba) (local.get $i) (i32.add (local.get $colors) (i32.const 128)))))))))
            (if (i32.ne (local.get $marker) (i32.const -1))
              (then
                (local.set $id (i32.load (i32.add (local.get $marker) (i32.shl (local.get $i) (i32.const 2)))))
                (if (local.get $id)
                  (then (if (call $isEdge (local.get $marker) (local.get $w) (local.get $h) (local.get $x) (local.get $y) (local.get $i) (local.get $id))
                    (then (call $blend (local.get $rgba) (local.get $i) (i32.add (local.get $colors) (i32.const 160)))))))))
            (if (i32.ne (local.get $rois) (i32.const -1))
              (then
                (local.set $id (i32.load (i32.add (local.get $rois) (i32.shl (local.get $i) (i32.const 2)))))
                (if (select (i32.ne (local.get $id) (i32.const 0)) (i32.eq (local.get $id) (local.get $roiId))
                      (i32.eq (local.get $roiId) (i32.const -1)))
                  (then (if (call $isEdge (local.get $rois) (local.get $w) (local.get $h) (local.get $x) (local.get $y) (local.get $i) (local.get $id))
                    (then (call $blend (local.get $rgba) (local.get $i) (i32.add (local.get $colors) (i32.const 192)))))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $px)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowsL))))

  ;; png-rgb.ts scanlines with filter None: per row a 0 byte, then each pixel's R, G, B posterised to
  ;; min(top, ((v + half) >> shift) << shift).
  (func (export "scanlinesNone") (param $w i32) (param $h i32) (param $rgba i32) (param $raw i32) (param $shift i32)
      (param $half i32) (param $top i32)
    (local $y i32) (local $x i32) (local $s i32) (local $o i32) (local $c i32) (local $v i32)
    (local.set $s (local.get $rgba))
    (local.set $o (local.get $raw))
    (block $ydone
      (loop $rowsL
        (br_if $ydone (i32.ge_u (local.get $y) (local.get $h)))
        (i32.store8 (local.get $o) (i32.const 0))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (local.set $x (i32.const 0))
        (block $xdone
          (loop $px
            (br_if $xdone (i32.ge_u (local.get $x) (local.get $w)))
            (local.set $c (i32.const 0))
            (block $cdone
              (loop $chan
                (br_if $cdone (i32.ge_u (local.get $c) (i32.const 3)))
                (local.set $v (i32.shl (i32.shr_u (i32.add (i32.load8_u (i32.add (local.get $s) (local.get $c))) (local.get $half))
                  (local.get $shift)) (local.get $shift)))
                (i32.store8 (i32.add (local.get $o) (local.get $c))
                  (select (local.get $top) (local.get $v) (i32.gt_s (local.get $v) (local.get $top))))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $chan)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 3)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $px)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowsL))))
)
