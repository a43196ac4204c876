/**
 * The tables pane (issue 16.5): one tab per sheet of the result, every column reachable (horizontal scroll
 * with a sticky header and sticky identifying columns), numbers formatted for reading (full precision in the
 * tooltip and in the CSV), sorting, a marker-positive filter, CSV download of what is shown, and
 * click-to-centre on a cell.
 */
import * as api from './api.js';
import type { TableData } from './api.js';
import { model, hooks } from './state.js';
import { centreOn } from './geometry.js';
import { bbox } from './label-edit.js';
import { canvas, recomposite } from './render.js';
import { loadPlanes } from './loader.js';
import { $, el, download } from './dom.js';

const SHEET_TITLES: Record<string, string> = {
  roi_coloc_overview: 'ROI overview',
  cell_summary: 'Cell summary',
  marker_summary: 'Marker objects',
};
/** Sheets shown as tabs (in this order, those the result has); others stay in the Excel workbook. */
const SHOWN = ['roi_coloc_overview', 'cell_summary', 'marker_summary'];

/** Tabs of the sheets present; the single-channel workflow's sheets are shown as they are named. */
function shownSheets(): string[] {
  const all = model.st?.tables ?? [];
  const two = SHOWN.filter((s) => all.includes(s));
  return two.length ? two : all.slice(0, 4);
}

/**
 * Loads the overview, the cell summary and the sheet on screen (what a re-analysis or a slider move must update
 * at once); other tabs are fetched when opened, so they cost nothing on the re-analyse and refine paths.
 */
export async function loadTables(): Promise<void> {
  const sheets = shownSheets();
  if (!sheets.includes(model.currentSheet) && sheets.length) model.currentSheet = sheets[0];
  const eager = sheets.filter((s, i) => i < 2 || s === model.currentSheet);
  const data = await Promise.all(eager.map((s) => api.getTable(s)));
  model.tables.clear();
  eager.forEach((s, i) => model.tables.set(s, data[i]));
  buildTabs();
  renderTable();
}

async function openSheet(s: string): Promise<void> {
  model.currentSheet = s;
  model.sortCol = -1;
  buildTabs();
  if (!model.tables.has(s) && model.st?.tables.includes(s)) model.tables.set(s, await api.getTable(s));
  renderTable();
}

function buildTabs(): void {
  const box = $('tabs');
  const sheets = shownSheets();
  const names = sheets.length ? sheets : ['roi_coloc_overview', 'cell_summary'];
  box.replaceChildren(
    ...names.map((s) => {
      const b = el('button', { textContent: SHEET_TITLES[s] ?? s, className: s === model.currentSheet ? 'active' : '' });
      b.dataset.sheet = s;
      b.onclick = () => void openSheet(s);
      return b;
    }),
  );
}

/** Numbers for reading: integers as they are, others with 4 significant digits (no exponent in 1e-3..1e6). */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v !== 'number') return String(v);
  if (Number.isNaN(v)) return '';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  if (a >= 1000) return v.toFixed(1);
  return String(+v.toPrecision(4));
}

function visibleRows(t: TableData): (number | boolean | string | null)[][] {
  const posIdx = t.columns.findIndex((c) => c.name === 'marker_positive');
  let rows = t.rows.slice();
  if (model.positiveOnly && posIdx >= 0) rows = rows.filter((r) => r[posIdx] === true);
  const c = model.sortCol;
  if (c >= 0 && c < t.columns.length) {
    rows.sort((a, b) => {
      const va = a[c];
      const vb = b[c];
      const d = va === vb ? 0 : va === null ? 1 : vb === null ? -1 : va < vb ? -1 : 1;
      return model.sortDesc ? -d : d;
    });
  }
  return rows;
}

/** RFC 4180 CSV of the shown rows (filter and sort applied), full precision. */
export function tableCsv(t: TableData, rows: (number | boolean | string | null)[][]): string {
  const q = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [t.columns.map((c) => q(c.name)).join(','), ...rows.map((r) => r.map(q).join(','))].join('\n') + '\n';
}

export function renderTable(): void {
  const t = model.tables.get(model.currentSheet);
  const box = $('table');
  box.replaceChildren();
  const info = $('tableInfo');
  const posIdx = t ? t.columns.findIndex((c) => c.name === 'marker_positive') : -1;
  $('positiveOnlyBox').hidden = posIdx < 0;
  $<HTMLButtonElement>('csv').disabled = !t;
  if (!t) {
    info.textContent = `no ${model.currentSheet} table yet: run the analysis`;
    return;
  }
  const rows = visibleRows(t);
  info.textContent = `${model.currentSheet}: ${rows.length === t.rows.length ? `${t.rows.length} rows` : `${rows.length} of ${t.rows.length} rows (marker-positive)`}`;
  const labelIdx = t.columns.findIndex((c) => c.name === 'cell_label' || c.name === 'object_label' || c.name === 'label');
  // Identifying columns stay in view while scrolling sideways: the first column, and the label column next to it.
  const sticky = labelIdx >= 0 && labelIdx <= 1 ? labelIdx + 1 : 1;
  const thead = el('tr');
  t.columns.forEach((c, i) => {
    const th = el('th', { textContent: c.name + (i === model.sortCol ? (model.sortDesc ? ' ▼' : ' ▲') : ''), title: `${c.name} (${c.kind}); click to sort` });
    if (i < sticky) th.classList.add('sticky');
    th.onclick = () => {
      if (model.sortCol === i) model.sortDesc = !model.sortDesc;
      else { model.sortCol = i; model.sortDesc = false; }
      renderTable();
    };
    thead.append(th);
  });
  const tbody = el('tbody');
  for (const row of rows) {
    const tr = el('tr');
    row.forEach((v, i) => {
      const td = el('td', { textContent: formatCell(v) });
      if (typeof v === 'number' && !Number.isInteger(v)) td.title = String(v);
      if (i < sticky) td.classList.add('sticky');
      tr.append(td);
    });
    if (posIdx >= 0 && row[posIdx] === true) tr.classList.add('pos');
    if (labelIdx >= 0 && model.currentSheet !== 'roi_coloc_overview') {
      const lab = Number(row[labelIdx]);
      tr.dataset.cell = String(lab);
      if (lab === model.selectedCell) tr.classList.add('sel');
      tr.onclick = () => void selectCell(lab, true);
    }
    tbody.append(tr);
  }
  box.append(el('table', {}, el('thead', {}, thead), tbody));
  // Sticky columns need their left offsets: the widths of the sticky columns before them.
  if (sticky > 1) {
    const ths = thead.querySelectorAll('th');
    let left = 0;
    const lefts: number[] = [];
    for (let i = 0; i < sticky; i++) {
      lefts.push(left);
      left += (ths[i] as HTMLElement).offsetWidth;
    }
    for (const tr of box.querySelectorAll('tr')) {
      for (let i = 1; i < sticky; i++) (tr.children[i] as HTMLElement | undefined)?.style.setProperty('left', `${lefts[i]}px`);
    }
  }
}

/** Highlights a cell; with `centre`, pans the view onto its bounding box in the current plane. */
export async function selectCell(label: number, centre: boolean): Promise<void> {
  model.selectedCell = label;
  hooks.selectedCell = label;
  const cell = model.labels.get('cell');
  if (centre && cell?.data) {
    let box = bbox({ data: cell.data, Y: model.Y, X: model.X }, label);
    if (!box && model.Z > 1 && model.zSel !== 'max') {
      // The cell is not on this plane: show the max projection, where every cell appears.
      model.zSel = 'max';
      $<HTMLInputElement>('zmax').checked = true;
      await loadPlanes();
      box = bbox({ data: model.labels.get('cell')!.data!, Y: model.Y, X: model.X }, label);
    }
    if (box) {
      const r = canvas.getBoundingClientRect();
      const size = Math.max(8, box[2] - box[0] + 1, box[3] - box[1] + 1);
      const scale = Math.max(model.view.scale, Math.min(8, (0.3 * Math.min(r.width, r.height)) / size));
      centreOn(model.view, [(box[0] + box[2] + 1) / 2, (box[1] + box[3] + 1) / 2], r.width, r.height, scale);
    }
  }
  if (model.currentSheet !== 'cell_summary' && !centre && model.tables.has('cell_summary')) {
    model.currentSheet = 'cell_summary';
    buildTabs();
  }
  renderTable();
  if (!centre) document.querySelector('#table tr.sel')?.scrollIntoView({ block: 'center' });
  recomposite();
}

export function wireTables(): void {
  buildTabs();
  const po = $<HTMLInputElement>('positiveOnly');
  po.onchange = () => { model.positiveOnly = po.checked; renderTable(); };
  $('csv').onclick = () => {
    const t = model.tables.get(model.currentSheet);
    if (!t) return;
    const blob = new Blob([tableCsv(t, visibleRows(t))], { type: 'text/csv' });
    const url = URL.createObjectURL(blob);
    download(`${model.st?.stem ?? 'table'}_${model.currentSheet}${model.positiveOnly ? '_positive' : ''}.csv`, url);
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
}
