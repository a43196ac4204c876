/**
 * The layer list (visibility, opacity, colormap, contrast for channels; outline/fill, colour mode and colour
 * for label layers) and the legend that says what each colour on screen means, in the config's display names
 * (issue 16.2).
 */
import { COLORMAPS, labelColor } from '../../render/composite.js';
import { LABEL_LAYER_ORDER, rgbHex, hexRgb, type LabelDrawMode, type LabelColorMode } from '../layer-style.js';
import { model, type ColormapName } from './state.js';
import { recomposite, scheduleRecomposite } from './render.js';
import { contrastWidget } from './contrast.js';
import { $, el } from './dom.js';

function rangeInput(value: number, title: string, onInput: (v: number) => void): HTMLInputElement {
  const r = el('input', { type: 'range', min: '0', max: '1', step: '0.05', value: String(value), title });
  r.oninput = () => onInput(Number(r.value));
  return r;
}

function select<T extends string>(options: [T, string][], value: T, onChange: (v: T) => void, title: string): HTMLSelectElement {
  const s = el('select', { title });
  for (const [v, text] of options) s.append(el('option', { value: v, textContent: text, selected: v === value }));
  s.onchange = () => onChange(s.value as T);
  return s;
}

export function buildLayerList(): void {
  const box = $('layers');
  box.replaceChildren();
  for (const im of model.images) {
    const vis = el('input', { type: 'checkbox', checked: im.visible });
    vis.dataset.layer = im.role;
    vis.onchange = () => { im.visible = vis.checked; recomposite(); buildLegend(); };
    const op = rangeInput(im.opacity, 'opacity', (v) => { im.opacity = v; scheduleRecomposite(); });
    const cm = select(Object.keys(COLORMAPS).map((n) => [n as ColormapName, n]), im.colormap, (v) => { im.colormap = v; recomposite(); buildLegend(); }, 'colormap');
    const layer = el('div', { className: 'layer' },
      el('label', {}, vis, el('span', { className: 'name', textContent: ` ${im.name}` }), el('span', { className: 'role', textContent: ` ${im.role === 'optional_region' ? 'third channel' : im.role} channel` })),
      el('div', { className: 'row' }, 'opacity ', op, cm),
      contrastWidget(im, (live) => (live ? scheduleRecomposite() : recomposite())));
    layer.dataset.image = im.role;
    box.append(layer);
  }
  for (const name of LABEL_LAYER_ORDER) {
    const l = model.labels.get(name);
    if (!l) continue;
    const vis = el('input', { type: 'checkbox', checked: l.visible });
    vis.dataset.layer = name;
    vis.onchange = () => { l.visible = vis.checked; recomposite(); buildLegend(); };
    const op = rangeInput(l.opacity, 'opacity', (v) => { l.opacity = v; scheduleRecomposite(); });
    const mode = select<LabelDrawMode>([['outline', 'outline'], ['fill', 'fill']], l.mode, (v) => { l.mode = v; recomposite(); buildLegend(); }, 'draw outlines or filled objects');
    mode.dataset.style = 'mode';
    const cmode = select<LabelColorMode>([['single', 'one colour'], ['label', 'per label']], l.colorMode, (v) => { l.colorMode = v; colour.disabled = v !== 'single'; recomposite(); buildLegend(); }, 'colour mode');
    cmode.dataset.style = 'colorMode';
    const colour = el('input', { type: 'color', value: rgbHex(l.color), title: 'colour', disabled: l.colorMode !== 'single' });
    colour.dataset.style = 'color';
    colour.oninput = () => { l.color = hexRgb(colour.value); scheduleRecomposite(); buildLegend(); };
    const layer = el('div', { className: 'layer' },
      el('label', {}, vis, el('span', { className: 'name', textContent: ` ${l.title}` }), l.data ? '' : ' (no data)'),
      el('div', { className: 'row' }, 'opacity ', op, mode, cmode, colour));
    layer.dataset.labels = name;
    box.append(layer);
  }
  buildLegend();
}

/** A swatch per visible label layer: its colour (or a few palette colours) and what it means. */
export function buildLegend(): void {
  const box = $('legend');
  box.replaceChildren();
  for (const name of LABEL_LAYER_ORDER) {
    const l = model.labels.get(name);
    if (!l || !l.visible || !l.data) continue;
    const sw = el('span', { className: `swatch ${l.mode}` });
    if (l.colorMode === 'single') sw.style.setProperty('--c', rgbHex(l.color));
    else sw.style.setProperty('--c', `linear-gradient(90deg, ${[1, 2, 3, 4].map((i) => rgbHex(labelColor(i))).join(', ')})`);
    if (l.colorMode !== 'single') sw.classList.add('palette');
    const item = el('div', { className: 'legend-item' }, sw, el('span', { textContent: `${l.title}${l.colorMode === 'label' ? ' (colour per label)' : ''}` }));
    item.dataset.layer = name;
    box.append(item);
  }
  box.hidden = box.childElementCount === 0;
}
