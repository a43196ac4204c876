/**
 * Declumping: touching objects of a thresholded mask split by a seeded watershed, after CellProfiler
 * IdentifyPrimaryObjects (`separate_neighboring_objects`, `get_maxima`, `smooth_image`,
 * `calc_smoothing_filter_size`; CellProfiler/CellProfiler `cellprofiler/modules/identifyprimaryobjects.py`).
 *
 * - `shape`: seeds = local maxima of the smoothed Euclidean distance transform of the (hole-filled) mask
 *   ("Method to distinguish clumped objects: Shape"), dividing lines = watershed of the negated distance
 *   transform ("Method to draw dividing lines: Shape"). CellProfiler takes the maxima of the unsmoothed
 *   distance plus uniform noise in [0, 0.001) to make them unique; here the distance map is smoothed with
 *   the declumping filter (the same one CellProfiler applies to the intensity), which removes the spurious
 *   maxima of ragged outlines deterministically.
 * - `intensity`: seeds = local maxima of the smoothed intensity, dividing lines = watershed of the negated
 *   (prefiltered, unsmoothed) intensity, CellProfiler's `1 - image`.
 *
 * Sizes (CellProfiler's "automatically calculate" rules, from the typical diameter range [min, max]):
 * smoothing filter size S = 2.35 · min / 3.5 (Gaussian σ = S / 2.35 = min / 3.5), maxima suppression distance
 * = min / 1.5, used as the radius max(1, d − 0.5) of the disk a maximum must dominate (`strel_disk`).
 * CellProfiler's "Speed up by using lower-resolution image to find local maxima?" (a 10 / min downsampling
 * when min > 10 px) is not reproduced: maxima are found at full resolution with the same radius rule.
 * Every distance is in µm with the voxel size, so anisotropic stacks get ellipsoidal filters and footprints;
 * `*_px` settings are converted with the x pixel size.
 */
import type { LabelData, Shape3 } from '../../core/volume.js';
import { valueError } from '../../core/errors.js';
import { findRuns, resolveComponents, unzeroedLabels, type Runs } from '../runs.js';
import { findBitRuns } from '../bitmask.js';
import { componentRunStats, faceConnectedRuns } from './component-runs.js';
import type { BitMask } from '../bitmask.js';
import { smoothingHalfWidths } from '../kernels/masked-smooth.js';
import { splitComponent } from './split-component.js';
import { fillLabelHoles, removedByObjectRules, fillLabelHolesCounted } from './object-rules.js';
import type { DeclumpInfo, DeclumpSettings } from './settings.js';
// The settings and report types live in settings.ts; re-exported so that callers keep one import.
export { declumpingActive, resolveDeclumpSettings, type DeclumpInfo, type DeclumpMethod, type DeclumpSettings } from './settings.js';
import { GrowBuffer } from '../kernels/grow-buffer.js';
import type { LabelRuns } from '../../core/label-runs.js';
import { PieceRuns, declumpedLabelRuns, lazyLabelRuns } from './label-runs.js';
import { CONVEX_SOLIDITY, componentRunIndex, convexComponent } from './convex-hull.js';
import { boxRunsMaskWasm, classifyComponentsWasm, pastePiecesWasm } from '../kernels/declump-wasm-box.js';
import { componentsTouchingBorder, copyBoxPlane, copyRoiBox } from './component-box.js';

// Per-component box buffers, reused from one component to the next (see grow-buffer.ts).
const ownScratch = new GrowBuffer(Uint32Array);
const filledScratch = new GrowBuffer(Uint32Array);
const floodMaskScratch = new GrowBuffer(Uint8Array);
const intensityScratch = new GrowBuffer(Float32Array);
const roiScratch = new GrowBuffer(Uint8Array);
const spanFromScratch = new GrowBuffer(Int32Array);
const spanToScratch = new GrowBuffer(Int32Array);

/**
 * Labels (1..N: components in raster order of their first voxel, the pieces of a clump in seed order) of the
 * cleaned threshold mask with declumping and the object rules.
 * @param mask 0/1 mask (or the chain's bit-packed mask) after the threshold chain's cleanup; not modified
 * @param intensity the thresholded crop (prefiltered), read by the `intensity` method
 * @param roiMask2d in-ROI pixels of one plane, or null when the ROI fills the crop
 */
export function declumpMask(
  mask: Uint8Array | BitMask,
  intensity: ArrayLike<number>,
  shape: Shape3,
  spacing: readonly [number, number, number],
  roiMask2d: Uint8Array | null,
  s: DeclumpSettings,
): { labels: LabelData; info: DeclumpInfo; counts: Float64Array; labelRuns?: LabelRuns } {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  const P = Y * X;
  const is3d = Z > 1;
  let runs: Runs;
  if (mask instanceof Uint8Array) {
    if (mask.length !== n) throw valueError(`declumping: mask has ${mask.length} voxels, shape (${Z}, ${Y}, ${X}) needs ${n}`);
    runs = findRuns(mask, shape, 1);
  } else {
    runs = findBitRuns(mask, 1);
  }
  // Per run, its touching pairs with the row above (a plane's hole count, `componentRunStats`), when read.
  const rowPairs = !is3d && (s.fillHoles || s.method === 'shape') ? new Int32Array(runs.count) : null;
  const count = resolveComponents(runs, shape, 'full', rowPairs);
  const { rowStart, x0: runX0, x1: runX1, comp: runComp } = runs;
  // Holes filled before the split (CellProfiler fills after thresholding and after declumping) must be smaller
  // than a max-diameter object, so that a ring of touching nuclei keeps the background it encloses.
  const maxHole = s.diameterUm
    ? is3d
      ? ((Math.PI / 6) * s.diameterUm[1] ** 3) / (spacing[0] * spacing[1] * spacing[2])
      : ((Math.PI / 4) * s.diameterUm[1] ** 2) / (spacing[1] * spacing[2])
    : Infinity;
  // With basin merging, a piece smaller than the smallest expected object (a disk / ball of the minimum typical
  // diameter) is a fragment, not a nucleus: it joins its neighbour instead of staying alone (CellProfiler would
  // keep it, or discard it with "Discard objects outside the diameter range", losing its voxels).
  const merging = s.mergeNeckUm > 0 || s.mergeContrast > 0;
  const minPieceVoxels =
    merging && s.diameterUm
      ? is3d
        ? ((Math.PI / 6) * s.diameterUm[0] ** 3) / (spacing[0] * spacing[1] * spacing[2])
        : ((Math.PI / 4) * s.diameterUm[0] ** 2) / (spacing[1] * spacing[2])
      : 0;
  const splitsShape = s.method === 'shape';
  // On a plane: components convex enough to be one object (`convex-hull.ts`), up to twice the area of the
  // largest typical object (a larger convex blob may still be two nuclei side by side).
  const convexSolidity = s.method === 'none' ? 0 : CONVEX_SOLIDITY;
  const convexMaxVoxels = convexSolidity > 0 && !is3d && s.diameterUm ? (2 * (Math.PI / 4) * s.diameterUm[1] ** 2) / (spacing[1] * spacing[2]) : 0;
  // Only the facts the loop below reads: holes where they are filled or the distance map needs them filled, face
  // connectivity for the fragment rule of splitting methods (per component from its runs where they are indexed).
  const { boxes, voxels: compVoxels, holeFree, faceConnected, nRuns } = componentRunStats(runs, shape, count, {
    holes: s.fillHoles || splitsShape,
    faceConnected: s.method !== 'none' && minPieceVoxels > 0 && convexMaxVoxels === 0,
    rowPairs,
  });
  const runIndex = convexMaxVoxels > 0 ? componentRunIndex(runs, count, Z * Y, nRuns) : undefined;
  const faceConnectedOf = (c: number) =>
    runIndex ? faceConnectedRuns(runs, runIndex.runsOf, runIndex.rowOf, runIndex.runStart[c], runIndex.runStart[c + 1], runIndex.wasmRuns) : faceConnected[c] === 1;
  // Every step works on the component's bounding box, so the cost follows the foreground, not the image.
  // Margins: 1 voxel of background for the distance transform; the smoothing kernel's half-width for the
  // intensity (the smoothed value of every component voxel then sees all its kernel taps, as on the full image).
  // `shape` smooths the distance map, which is 0 outside the object: zeros beyond the box are the same as a
  // wider box (`maskedSmooth(..., zerosOutside)`), so its boxes keep the 1-voxel margin only.
  const half = s.method === 'intensity' && s.smoothingSigmaUm > 0 ? smoothingHalfWidths(s.smoothingSigmaUm, spacing) : [0, 0, 0];
  const margin = [is3d ? 1 + half[0] : 0, 1 + half[1], 1 + half[2]];
  // The output: the components left whole (`direct`) and the pieces the paste kernel reports as runs are painted at
  // the end, row by row; pieces pasted voxel by voxel (3-D, ROI outlines) are pasted from their boxes as they are
  // processed.
  // uint16 while the ids fit (as `labelBitMask`'s labels, issue 21): half the fresh memory of uint32 (~0.5 ms on a
  // 2048² image) and of every later label pass; widened if the split pieces pass 65535 objects.
  // Made zeroed when a piece is first pasted voxel by voxel (3-D, ROI outlines); else (a plane without a ROI outline)
  // made after the loop, not zeroed, and written whole by the row pass below (`unzeroedLabels`).
  let out: LabelData | null = null;
  const direct = new Uint32Array(count + 1);
  // The pieces' runs, painted at the end and kept for the output's label runs (label-runs.ts). A 2048-wide uint16 row
  // is a 4 KiB page: painting a clump's pieces box row by box row touched one page and line per run, which the final
  // pass touched again for the other components of that row. Painted with their rows' other runs instead: in a CPU
  // profile of warm runs of the bench image, its 22 clumps' 1,442 piece runs took 0.18 ms against 0.75 ms; in
  // bench/declump.ts's interleaved runs the gain is smaller (~0.2 ms of the best wall, within the noise).
  const pieceRuns = new PieceRuns();
  // False once a piece was pasted voxel by voxel (3-D, ROI outlines): the runs are then left to a scan of the labels.
  let piecesAsRuns = true;
  let seeds = 0;
  let clumpsSplit = 0;
  let holeVoxelsFilled = 0;
  let objects = 0;
  const counts = { removedBorder: 0, removedTooSmall: 0, removedTooLarge: 0 };
  const range = s.discardOutsideDiameter ? s.diameterUm : null;
  const OTHER = 0xffffffff; // voxels of other components inside a box: neither this object nor background
  // On a plane, the whole-component tests and the rules of the components left whole in WebAssembly (the border
  // rule from the boxes, or with a ROI outline from the flags below): per component, what the loop below decides
  // (`classifyComponentsWasm`; 255 or null: the loop's own tests).
  let touchesBorder = roiMask2d && s.excludeBorderObjects ? componentsTouchingBorder(runs, shape, count, roiMask2d) : null;
  const classes = is3d
    ? null
    : classifyComponentsWasm({
        count, Y, X, fillHoles: s.fillHoles, method: s.method, excludeBorderObjects: s.excludeBorderObjects, touchesBorder, rangeUm: range, spacing,
        minPieceVoxels, convexMaxVoxels, solidity: convexSolidity, voxels: compVoxels, boxes, holeFree, faceConnected, runIndex: runIndex ?? null,
      });
  // Voxels of object 1, 2, …: every voxel a piece covers in its box is pasted (holes included), so the counts of
  // the rules loop are the final ones and the caller need not rescan the labels.
  const objectVoxels: number[] = [];
  let convexWhole = 0;
  for (let c = 1; c <= count; c++) {
    // Components whose result is known without the per-object work: no hole to fill (none, or not asked to
    // fill one and not needed for a distance map), and either no splitting or no possible split. With basin
    // merging, a component (face-connected, holes filled) of fewer than two minimum pieces cannot end in two
    // objects: the pieces of a partition of fewer than 2·m voxels include at most one of ≥ m voxels at every
    // stage of `mergeShallowBasins`, so every pair of neighbouring pieces it visits holds a fragment and is
    // merged; face connectivity makes every piece reachable through such pairs. The watershed result is the
    // whole component then, exactly as when it is computed.
    const known = classes ? classes[c] : 255;
    if (known !== 0 && known !== 255) {
      // Left whole (`classifyComponentsWasm`): kept, or removed by the rule it names.
      seeds++;
      if (known & 8) convexWhole++;
      const rule = known & 7;
      if (rule === 1) {
        direct[c] = ++objects;
        objectVoxels.push(compVoxels[c]);
      } else if (rule === 2) counts.removedBorder++;
      else if (rule === 3) counts.removedTooSmall++;
      else counts.removedTooLarge++;
      continue;
    }
    const needsFill = (s.fillHoles || splitsShape) && !holeFree[c];
    if (known === 255) {
      let whole =
        !(s.fillHoles && needsFill) &&
        (s.method === 'none' ? !needsFill : minPieceVoxels > 0 && compVoxels[c] < 2 * minPieceVoxels && faceConnectedOf(c));
      // Convex components are left whole by rule (not a proof: this changes labels, docs/declumping.md).
      if (!whole && convexMaxVoxels > 0 && !(s.fillHoles && needsFill) && convexComponent(runs, c, boxes[6 * c + 2], boxes[6 * c + 3], compVoxels[c], convexMaxVoxels, convexSolidity, runIndex)) {
        whole = true;
        convexWhole++;
      }
      if (whole) {
        seeds++;
        touchesBorder ??= s.excludeBorderObjects ? componentsTouchingBorder(runs, shape, count, roiMask2d) : new Uint8Array(count + 1);
        if (removedByObjectRules(compVoxels[c], touchesBorder[c] !== 0, range, spacing, is3d, counts)) continue;
        direct[c] = ++objects;
        objectVoxels.push(compVoxels[c]);
        continue;
      }
    }
    const b = 6 * c;
    const z0 = Math.max(0, boxes[b] - margin[0]);
    const z1 = Math.min(Z, boxes[b + 1] + margin[0]);
    const y0 = Math.max(0, boxes[b + 2] - margin[1]);
    const y1 = Math.min(Y, boxes[b + 3] + margin[1]);
    const x0 = Math.max(0, boxes[b + 4] - margin[2]);
    const x1 = Math.min(X, boxes[b + 5] + margin[2]);
    const lz = z1 - z0;
    const ly = y1 - y0;
    const lx = x1 - x0;
    const ln = lz * ly * lx;
    const local: Shape3 = [lz, ly, lx];
    // Per box row, the x range [spanFrom, spanTo) that can hold this object's voxels: the row's span of the
    // component's runs when there is no hole to fill (filled holes may reach past it), else the whole row.
    const spanFrom = spanFromScratch.get(lz * ly);
    const spanTo = spanToScratch.get(lz * ly);
    const floodMask = floodMaskScratch.get(ln);
    // Local labels from the runs crossing the box: 1 = this component, OTHER = another component, 0 = background
    // (needed only to fill holes).
    let own: Uint32Array | null = null;
    let filled: Uint32Array | null = null;
    // Holes left by the size limit of the first filling; without any, the filling after the split has
    // nothing to do (the split pieces cover exactly the filled object).
    let largeHoles = 0;
    if (!needsFill) {
      // No hole: the flood mask is the component's runs — on a plane made in WebAssembly from the runs the whole-image
      // passes loaded (this loop ran once per clump row in V8's interpreter in a fresh process), else here.
      if (is3d || !boxRunsMaskWasm(runs, Y, c, y0, x0, ly, lx, floodMask, spanFrom, spanTo)) {
        floodMask.fill(0);
        for (let z = 0, k = 0, row = 0; z < lz; z++) {
          for (let y = 0; y < ly; y++, k += lx, row++) {
            const r = (z0 + z) * Y + y0 + y;
            let from = lx;
            let to = 0;
            for (let q = rowStart[r], qEnd = rowStart[r + 1]; q < qEnd; q++) {
              if (runComp[q] !== c) continue;
              const a = runX0[q] - x0;
              to = runX1[q] - x0; // runs of a row are in x order
              if (a < from) from = a;
              floodMask.fill(1, k + a, k + to);
            }
            spanFrom[row] = from;
            spanTo[row] = to;
          }
        }
      }
    } else {
      own = ownScratch.zeroed(ln);
      for (let z = 0, k = 0, row = 0; z < lz; z++) {
        for (let y = 0; y < ly; y++, k += lx, row++) {
          const r = (z0 + z) * Y + y0 + y;
          for (let q = rowStart[r], qEnd = rowStart[r + 1]; q < qEnd; q++) {
            const a = runX0[q] > x0 ? runX0[q] : x0;
            const e = runX1[q] < x1 ? runX1[q] : x1;
            if (a < e) own.fill(runComp[q] === c ? 1 : OTHER, k + a - x0, k + e - x0);
          }
          spanFrom[row] = 0;
          spanTo[row] = lx;
        }
      }
      filled = filledScratch.get(ln);
      filled.set(own);
      largeHoles = fillLabelHolesCounted(filled, local, maxHole).largeHoles;
      // `shape` measures distances on the filled object even when holes are kept (CellProfiler: "a point far
      // away from the edge might be near a hole").
      const region = s.fillHoles ? filled : own;
      for (let k = 0; k < ln; k++) floodMask[k] = region[k] === 1 ? 1 : 0;
    }
    const { labels, seeds: nSeeds } = splitComponent({
      method: s.method,
      shape: local,
      spacing,
      floodMask,
      filled: s.fillHoles ? null : filled,
      intensity: () => {
        const vals = intensityScratch.get(ln);
        // `shape` reads the intensity only at the object's voxels (basin merging): the rows' spans suffice.
        const spans = s.method === 'shape';
        for (let z = 0, k = 0; z < lz; z++, k += ly * lx) {
          const g = (z0 + z) * P + y0 * X + x0;
          if (spans) copyBoxPlane(intensity, g, X, vals, k, ly, lx, spanFrom, spanTo, z * ly);
          else copyBoxPlane(intensity, g, X, vals, k, ly, lx);
        }
        return vals;
      },
      roiMask: () => {
        if (!roiMask2d) return null;
        return copyRoiBox(roiMask2d, X, y0, x0, lz, ly, lx, roiScratch.get(ln));
      },
      smoothingSigmaUm: s.smoothingSigmaUm,
      minDistanceUm: s.minDistanceUm,
      mergeNeckUm: s.mergeNeckUm,
      mergeContrast: s.mergeContrast,
      minPieceVoxels,
    });
    if (nSeeds > 1) clumpsSplit++;
    seeds += nSeeds;
    if (s.fillHoles && largeHoles > 0) {
      // Holes enclosed by one object after the split (`fill_labeled_holes`); other components count as walls.
      for (let k = 0; k < ln; k++) if (own![k] === OTHER) labels[k] = OTHER;
      fillLabelHoles(labels, local);
    }
    // Object rules on the pieces of this component (CellProfiler order: border, then size); no pass over the
    // whole image is needed. A box away from the image's edges, without a ROI outline, has no border voxel.
    // One pass counts the pieces and pastes them under the ids they get when every one is kept (`objects` + l):
    // only voxels of this object's pieces (its own voxels and the holes it filled, which no other component
    // covers). A piece removed by a rule (or an id shifted by an empty piece) costs a second pass over the box.
    const first = objects;
    if (first + nSeeds > 0xffff && out instanceof Uint16Array) out = Uint32Array.from(out);
    const borderTest = s.excludeBorderObjects && (roiMask2d !== null || y0 === 0 || x0 === 0 || y1 === Y || x1 === X);
    // On a plane without a ROI outline to test, the pass over the box in WebAssembly: the pieces' runs and counts,
    // painted below under their final ids (native `fill`). Else the pass here.
    const pasted = is3d || (borderTest && roiMask2d) ? null : pastePiecesWasm(labels, own, spanFrom, spanTo, ly, lx, y0, x0, Y, X, nSeeds, borderTest);
    const voxels = pasted ? pasted.voxels : new Float64Array(nSeeds + 1);
    const holeVoxels = pasted ? pasted.holeVoxels : own !== null ? new Float64Array(nSeeds + 1) : null;
    const touches = pasted ? pasted.touches : new Uint8Array(nSeeds + 1);
    if (!pasted) {
      piecesAsRuns = false;
      const labelsOut = (out ??= count > 0xffff || first + nSeeds > 0xffff ? new Uint32Array(n) : new Uint16Array(n));
      // A piece's voxels counted per run of equal labels (in a local): a count kept in `voxels` per voxel makes each
      // voxel wait for the previous one's store (~0.1 ms over the bench image's 22 clumps, measured).
      let runLabel = 0;
      let runVoxels = 0;
      for (let z = 0, row = 0; z < lz; z++) {
        for (let y = 0; y < ly; y++, row++) {
          const gy = y0 + y;
          const g = (z0 + z) * P + gy * X + x0;
          const rowEdge = gy === 0 || gy === Y - 1;
          for (let x = spanFrom[row], k = row * lx + x, xEnd = spanTo[row]; x < xEnd; x++, k++) {
            const l = labels[k];
            if (l === 0 || l === OTHER) continue;
            if (l !== runLabel) {
              voxels[runLabel] += runVoxels;
              runLabel = l;
              runVoxels = 0;
            }
            runVoxels++;
            labelsOut[g + x] = first + l;
            if (holeVoxels !== null && own![k] !== 1) holeVoxels[l]++;
            if (borderTest && !touches[l]) {
              const gx = x0 + x;
              if (rowEdge || gx === 0 || gx === X - 1) touches[l] = 1;
              else if (roiMask2d) {
                const p = gy * X + gx;
                if (!roiMask2d[p - 1] || !roiMask2d[p + 1] || !roiMask2d[p - X] || !roiMask2d[p + X]) touches[l] = 1;
              }
            }
          }
        }
      }
      voxels[runLabel] += runVoxels;
    }
    const newId = new Uint32Array(nSeeds + 1);
    let renumbered = false;
    for (let l = 1; l <= nSeeds; l++) {
      if (voxels[l] === 0) continue;
      if (removedByObjectRules(voxels[l], touches[l] !== 0, range, spacing, is3d, counts)) {
        renumbered = true;
        continue;
      }
      newId[l] = ++objects;
      if (objects !== first + l) renumbered = true;
      objectVoxels.push(voxels[l]);
      if (holeVoxels !== null) holeVoxelsFilled += holeVoxels[l];
    }
    if (pasted) {
      // Only kept pieces are painted, at the end (the voxels of a removed one stay 0, as after the renumbering below).
      const pr = pasted.runs;
      for (let t = 0, e = 4 * pasted.count; t < e; t += 4) {
        const id = newId[pr[t + 3]];
        if (id === 0) continue;
        pieceRuns.push(y0 + pr[t], x0 + pr[t + 1], x0 + pr[t + 2], id);
      }
    } else if (renumbered) {
      for (let z = 0, row = 0; z < lz; z++) {
        for (let y = 0; y < ly; y++, row++) {
          const g = (z0 + z) * P + (y0 + y) * X + x0;
          for (let x = spanFrom[row], k = row * lx + x, xEnd = spanTo[row]; x < xEnd; x++, k++) {
            const l = labels[k];
            if (l !== 0 && l !== OTHER) out![g + x] = newId[l];
          }
        }
      }
    }
  }
  // Components left whole, painted from their runs, and the pieces reported as runs (only on a plane: row = y),
  // each row's with the others of that row; a row of an array not made yet zeroed first.
  const zeroRows = out === null;
  out ??= unzeroedLabels(n, count > 0xffff || objects > 0xffff);
  const np = pieceRuns.count;
  const byRow = np > 0 ? pieceRuns.byRow(Z * Y) : null;
  const pd = pieceRuns.data;
  for (let r = 0; r < Z * Y; r++) {
    const base = r * X;
    if (zeroRows) out.fill(0, base, base + X);
    for (let k = rowStart[r]; k < rowStart[r + 1]; k++) {
      const id = direct[runComp[k]];
      if (id !== 0) out.fill(id, base + runX0[k], base + runX1[k]);
    }
    if (byRow === null) continue;
    for (let q = byRow.start[r], qEnd = byRow.start[r + 1]; q < qEnd; q++) {
      const t = 4 * byRow.order[q];
      out.fill(pd[t + 3], base + pd[t + 1], base + pd[t + 2]);
    }
  }
  // Widened above for pieces the rules then removed: the type the components and objects ask for (rare).
  if (out instanceof Uint32Array && count <= 0xffff && objects <= 0xffff) out = Uint16Array.from(out);
  const voxelCounts = new Float64Array(objects + 1);
  let foreground = 0;
  for (let l = 1; l <= objects; l++) foreground += voxelCounts[l] = objectVoxels[l - 1];
  voxelCounts[0] = n - foreground;
  return {
    labels: out,
    counts: voxelCounts,
    ...(piecesAsRuns ? { labelRuns: lazyLabelRuns(() => declumpedLabelRuns(runs, Z * Y, X, direct, pieceRuns)) } : {}),
    info: {
      method: s.method,
      typicalDiameterUm: s.diameterUm,
      smoothingFilterSizePx: s.smoothingFilterSizePx,
      minDistancePx: s.minDistancePx,
      mergeNeckPx: s.mergeNeckUm / spacing[2],
      mergeContrast: s.mergeContrast,
      components: count,
      seeds: s.method === 'none' ? 0 : seeds,
      clumpsSplit,
      convexWhole,
      objects,
      ...counts,
      holeVoxelsFilled,
    },
  };
}
