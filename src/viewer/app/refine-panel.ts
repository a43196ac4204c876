/**
 * Cellpose refinement sliders (cellprob and flow thresholds per channel), shown only for channels that the
 * config segments with Cellpose; a threshold-only config gets one line saying why there are none.
 */
import * as api from './api.js';
import { model } from './state.js';
import { loadState, reloadLabels } from './loader.js';
import { loadTables } from './table-panel.js';
import { clearHistory } from './editing.js';
import { $, el, guard, setStatus } from './dom.js';

type Channel = 'cell' | 'marker' | 'optional_region';

export function buildRefine(): void {
  const st = model.st;
  if (!st) return;
  const box = $('refine');
  box.replaceChildren();
  const all: Channel[] = st.cellpose?.optional_region !== undefined && st.layers.optional_region ? ['cell', 'marker', 'optional_region'] : ['cell', 'marker'];
  // Older servers send no methods: every channel then gets its (possibly disabled) sliders, as before.
  const methods = st.methods;
  const channels = st.workflow === 'single_channel' ? (['cell'] as Channel[]) : all.filter((ch) => !methods || methods[ch] === 'cellpose');
  $('refineBox').hidden = false;
  if (channels.length === 0) {
    box.append(el('div', { className: 'note', textContent: 'no channel is segmented by Cellpose in this config (threshold backends): nothing to re-threshold' }));
    return;
  }
  for (const ch of channels) {
    const ok = !!st.cellpose?.[ch];
    const cp = el('input', { type: 'range', min: '-6', max: '6', step: '0.05', value: '0', disabled: !ok });
    const fl = el('input', { type: 'range', min: '0', max: '3', step: '0.05', value: '0.4', disabled: !ok });
    cp.id = `refine-${ch}-cellprob`;
    fl.id = `refine-${ch}-flow`;
    const cpv = el('span', { textContent: cp.value });
    const flv = el('span', { textContent: fl.value });
    const apply = () => guard(`refine ${ch}`, async () => {
      cpv.textContent = cp.value;
      flv.textContent = fl.value;
      const res = await api.refine({ [ch]: { cellprobThreshold: Number(cp.value), flowThreshold: Number(fl.value) } });
      // Only the refined channel's layer and the positive-cell layer change; state and tables load meanwhile.
      await Promise.all([loadState().then(loadTables), reloadLabels([ch, 'positive'])]);
      // The refined masks replace hand edits: the undo history no longer applies.
      clearHistory();
      setStatus(`${ch} masks rebuilt from the Cellpose cache in ${Math.round(res.ms)} ms`);
    });
    cp.onchange = () => void apply();
    fl.onchange = () => void apply();
    cp.oninput = () => { cpv.textContent = cp.value; };
    fl.oninput = () => { flv.textContent = fl.value; };
    const title = st.workflow === 'single_channel' ? 'objects' : ch === 'optional_region' ? 'third channel' : `${ch} channel`;
    box.append(
      el('div', { className: 'refine-ch' },
        el('div', { className: 'name', textContent: title }),
        el('div', { className: 'row' }, 'cellprob ', cp, cpv),
        el('div', { className: 'row' }, 'flow ', fl, flv),
        ok ? '' : el('div', { className: 'note', textContent: 'no Cellpose cache yet: run the analysis first' })),
    );
  }
}
