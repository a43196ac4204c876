/**
 * `cellcoloc sheet "<glob>" [--name-pattern REGEX]` (issue 14.8): a sample sheet from file names, for the user to
 * review and edit before `cellcoloc batch`.
 *
 * - Without a pattern: one sample per file, named after the file (stem, characters outside `[A-Za-z0-9._-]`
 *   replaced by `-`), column `image`.
 * - With a pattern (a JavaScript regular expression matched against the whole file name, not the folder): every
 *   named group becomes a metadata column in the pattern's order; a group named `channel` stacks the files that
 *   share every other group into one sample, ordered by channel (numerically when every value is a number), into
 *   columns `channel_0`, `channel_1`, …; a group named `sample` names the sample, otherwise the other groups'
 *   values joined by `_` do. E.g. BBBC014: `Channel_(?<channel>\d)-\d+-(?<well>[A-P]-\d+)-(?<field>\d+)\.tif`.
 * Paths in the sheet are relative to the sheet's folder (POSIX separators), so the sheet moves with the data.
 */
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { valueError, inputError } from '../core/errors.js';
import { csvField } from '../export/csv.js';

export interface SheetFromFilesOptions {
  pattern: string;
  namePattern?: string | null;
  /** Folder the sheet will live in (relative paths are written against it). */
  sheetDir: string;
  /** Where the glob is evaluated (default: the current folder). */
  cwd?: string;
}

export interface GeneratedSheet {
  csv: string;
  samples: number;
  files: number;
  columns: string[];
}

const collator = new Intl.Collator('en', { numeric: true });
const sanitize = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'sample';

export async function sheetFromFiles(options: SheetFromFilesOptions): Promise<GeneratedSheet> {
  const cwd = resolve(options.cwd ?? process.cwd());
  let re: RegExp | null = null;
  if (options.namePattern) {
    try {
      re = new RegExp(`^(?:${options.namePattern})$`);
    } catch (err) {
      throw valueError(`--name-pattern: expected a regular expression, got ${JSON.stringify(options.namePattern)} (${(err as Error).message})`);
    }
  }
  const files = (await glob(options.pattern, { cwd, absolute: true, onlyFiles: true, dot: false })).map((f) => resolve(f)).sort(collator.compare);
  if (files.length === 0) throw inputError(`sheet: no file matches ${JSON.stringify(options.pattern)} (in ${cwd})`);
  const groups = re ? groupNames(options.namePattern!) : [];
  const metaCols = groups.filter((g) => g !== 'channel' && g !== 'sample');
  const hasChannel = groups.includes('channel');
  const hasSampleGroup = groups.includes('sample');
  const rel = (f: string) => relative(resolve(options.sheetDir), f).split(sep).join('/');

  interface Entry {
    key: string;
    name: string;
    meta: Record<string, string>;
    channels: { channel: string; file: string }[];
  }
  const entries = new Map<string, Entry>();
  const unmatched: string[] = [];
  for (const f of files) {
    const name = basename(f);
    let g: Record<string, string> = {};
    if (re) {
      const m = re.exec(name);
      if (!m) {
        unmatched.push(name);
        continue;
      }
      g = Object.fromEntries(Object.entries(m.groups ?? {}).map(([k, v]) => [k, v ?? '']));
    }
    const others = groups.filter((k) => k !== 'channel');
    const key = re ? others.map((k) => g[k]).join('\u0000') + (others.length === 0 && !hasChannel ? f : '') : f;
    let e = entries.get(key);
    if (!e) {
      const stem = name.replace(/\.(ome\.)?tiff?$/i, '').replace(/\.[^.]+$/, '');
      const named = hasSampleGroup ? g.sample : metaCols.length > 0 ? metaCols.map((k) => g[k]).join('_') : stem;
      e = { key, name: sanitize(named), meta: Object.fromEntries(metaCols.map((k) => [k, g[k]])), channels: [] };
      entries.set(key, e);
    }
    e.channels.push({ channel: hasChannel ? g.channel : '0', file: f });
  }
  if (unmatched.length > 0) {
    throw valueError(
      `--name-pattern: ${unmatched.length} of ${files.length} file${files.length === 1 ? '' : 's'} do not match ${JSON.stringify(options.namePattern)}: ${unmatched.slice(0, 5).join(', ')}${unmatched.length > 5 ? ', …' : ''} (narrow the glob or widen the pattern)`,
    );
  }
  const list = [...entries.values()];
  // Channel order: numeric when every value is a number, else lexical; every sample needs the same channel set.
  let channelSet: string[] = ['0'];
  if (hasChannel) {
    const all = [...new Set(list.flatMap((e) => e.channels.map((c) => c.channel)))];
    const numeric = all.every((c) => /^\d+$/.test(c));
    channelSet = all.sort(numeric ? (a, b) => Number(a) - Number(b) : collator.compare);
    for (const e of list) {
      const have = e.channels.map((c) => c.channel);
      if (new Set(have).size !== have.length) {
        throw valueError(`--name-pattern: sample ${JSON.stringify(e.name)} has two files for one channel (${e.channels.map((c) => basename(c.file)).join(', ')}): add the distinguishing part of the name as a group`);
      }
      const missing = channelSet.filter((c) => !have.includes(c));
      if (missing.length > 0) {
        throw valueError(`--name-pattern: sample ${JSON.stringify(e.name)} lacks channel${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (has ${have.join(', ')}; the other samples have ${channelSet.join(', ')})`);
      }
      e.channels.sort((a, b) => channelSet.indexOf(a.channel) - channelSet.indexOf(b.channel));
    }
  } else if (re) {
    for (const e of list) {
      if (e.channels.length > 1) {
        throw valueError(
          `--name-pattern: ${e.channels.length} files give sample ${JSON.stringify(e.name)} (${e.channels.slice(0, 3).map((c) => basename(c.file)).join(', ')}…): add a group that tells them apart, or a (?<channel>…) group to stack them`,
        );
      }
    }
  }
  list.sort((a, b) => {
    for (const k of metaCols) {
      const c = collator.compare(a.meta[k], b.meta[k]);
      if (c !== 0) return c;
    }
    return collator.compare(a.name, b.name);
  });
  // Unique sample names (two keys may sanitise alike).
  const used = new Map<string, number>();
  for (const e of list) {
    const n = (used.get(e.name) ?? 0) + 1;
    used.set(e.name, n);
    if (n > 1) e.name = `${e.name}-${n}`;
  }
  const imageCols = hasChannel ? channelSet.map((_, i) => `channel_${i}`) : ['image'];
  const columns = ['sample', ...imageCols, ...metaCols];
  const lines = [columns.map(csvField).join(',')];
  for (const e of list) lines.push([e.name, ...e.channels.map((c) => rel(c.file)), ...metaCols.map((k) => e.meta[k])].map(csvField).join(','));
  return { csv: lines.join('\n') + '\n', samples: list.length, files: files.length, columns };
}

/** Named groups of a pattern, in order of appearance. */
export function groupNames(pattern: string): string[] {
  const out: string[] = [];
  const re = /\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g;
  for (let m = re.exec(pattern); m; m = re.exec(pattern)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

export const sheetDirOf = (output: string | null) => (output ? dirname(resolve(output)) : process.cwd());
