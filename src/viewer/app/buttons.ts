/** Enables and disables the command buttons from the model (busy analysis, undo history, selection). */
import { model } from './state.js';
import { $ } from './dom.js';

export function updateButtons(): void {
  const st = model.st;
  const busy = !!st?.busy;
  const has = (n: 'cell' | 'marker') => !!model.labels.get(n)?.data;
  $<HTMLButtonElement>('run').disabled = busy;
  $<HTMLButtonElement>('reanalyze').disabled = busy || !has('cell') || (st?.workflow !== 'single_channel' && !has('marker'));
  $<HTMLButtonElement>('export').disabled = busy || !st?.tables.length;
  $<HTMLButtonElement>('saveRois').disabled = busy;
  $<HTMLButtonElement>('undo').disabled = model.undo.length === 0;
  $<HTMLButtonElement>('redo').disabled = model.redo.length === 0;
  $<HTMLButtonElement>('deleteShape').disabled = model.selectedShape < 0;
}
