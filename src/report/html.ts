/**
 * The page frame shared by the run and experiment reports: one self-contained HTML file (inline CSS, SVG
 * plots, PNG data URIs, no script from anywhere, no external request), plus escaping and table helpers.
 */
import type { PlotSpec } from './plot-spec.js';

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside <script type="application/json"> (no `</script>`, no `<!--`). */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

export function fmtNumber(v: unknown, digits = 4): string {
  if (typeof v !== 'number') return v === null || v === undefined ? '' : String(v);
  if (!Number.isFinite(v)) return '';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(digits)));
}

export interface Cell {
  html: string;
  /** Right-aligned numbers, flagged rows. */
  cls?: string;
}

/** A table; cells are HTML (escape text with `esc`). */
export function table(headers: string[], rows: (string | Cell)[][], cls = ''): string {
  const th = headers.every((h) => h === '') ? '' : `<thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead>`;
  const tr = rows
    .map((r) => `<tr>${r.map((c) => (typeof c === 'string' ? `<td>${c}</td>` : `<td class="${c.cls ?? ''}">${c.html}</td>`)).join('')}</tr>`)
    .join('\n');
  return `<div class="scroll"><table class="${cls}">${th}<tbody>\n${tr}\n</tbody></table></div>`;
}

export const num = (v: unknown, digits?: number): Cell => ({ html: esc(fmtNumber(v, digits)), cls: 'num' });

/** One plot: title, the SVG, the caption, and its spec + data as JSON (what was plotted, for the reader). */
export function plotFigure(spec: PlotSpec, svg: string): string {
  return `<figure class="plot" id="plot-${esc(spec.id)}" data-plot="${esc(spec.id)}">
<figcaption class="plot-title">${esc(spec.title)}</figcaption>
<div class="plot-svg">${svg}</div>
<p class="caption">${esc(spec.caption)}</p>
<details class="spec"><summary>what is plotted (spec and data)</summary><pre>${esc(JSON.stringify({ ...spec, data: spec.data.slice(0, 50) }, null, 1))}${
    spec.data.length > 50 ? `\n… ${spec.data.length - 50} more rows in the JSON block below` : ''
  }</pre></details>
<script type="application/json" class="plot-spec">${jsonForScript(spec)}</script>
</figure>`;
}

const CSS = `
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #dadce0; --bg: #fff; --flag: #fde7e9; --accent: #1a5fb4; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
header { background: #f6f8fa; border-bottom: 1px solid var(--line); padding: 16px 28px; }
header h1 { font-size: 20px; margin: 0 0 4px; }
header .sub { color: var(--muted); }
main { padding: 8px 28px 40px; max-width: 1400px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f1f3f4; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flag td, td.flag { background: var(--flag); }
.warn { background: #fff4e5; border: 1px solid #f0c36d; padding: 6px 10px; margin: 6px 0; border-radius: 4px; }
.note { color: var(--muted); }
.scroll { overflow-x: auto; max-width: 100%; }
.plots { display: flex; flex-wrap: wrap; gap: 18px; }
figure.plot { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; background: #fff; max-width: 600px; }
.plot-title { font-weight: 600; margin-bottom: 4px; }
.caption { color: var(--muted); font-size: 12px; margin: 4px 0; max-width: 560px; }
details.spec { font-size: 12px; }
details.spec pre { max-height: 260px; overflow: auto; background: #f6f8fa; padding: 6px; }
.thumbs { display: flex; flex-wrap: wrap; gap: 16px; }
figure.thumb { margin: 0; }
figure.thumb img { display: block; border: 1px solid var(--line); image-rendering: auto; max-width: 100%; }
figure.thumb figcaption { font-size: 12px; color: var(--muted); }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.gallery a { text-decoration: none; color: var(--fg); font-size: 12px; }
.gallery img { width: 100%; height: auto; display: block; border: 1px solid var(--line); }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; border: 1px solid #888; }
a { color: var(--accent); }
code { background: #f1f3f4; padding: 0 3px; border-radius: 3px; }
`;

/** The whole page. `body` is trusted HTML built with `esc`. */
export function page(title: string, subtitle: string, body: string, meta: Record<string, unknown>): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cellcoloc report">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><div class="sub">${subtitle}</div></header>
<main>
${body}
</main>
<script type="application/json" id="cellcoloc-report">${jsonForScript(meta)}</script>
</body>
</html>
`;
}

export function legend(items: [string, string][]): string {
  return `<div class="legend">${items.map(([color, label]) => `<span><i style="background:${color}"></i>${esc(label)}</span>`).join('')}</div>`;
}
