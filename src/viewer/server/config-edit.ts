/**
 * The one config edit the viewer proposes (issue 16.7): point `rois` at the ROI mask saved beside the config.
 *
 * A minimal text edit: the yaml package's Document API (`parseDocument`, node `range`s) locates the `rois`
 * value, and only those characters are replaced (or one line is appended when the key is absent), so every
 * comment, blank line, quoting style and key order of the user's file stays as it was. The result is parsed
 * again and must equal the original with only `rois` changed; otherwise nothing is written.
 */
import { readFile } from 'node:fs/promises';
import { extname, relative, dirname, sep, isAbsolute } from 'node:path';
import { parseDocument, isMap, isScalar, isPair, type Node as YamlNode } from 'yaml';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { valueError } from '../../core/errors.js';

export interface ConfigRoisChange {
  /** Absolute path of the config file. */
  configPath: string;
  /** `label_image` value, relative to the config's folder (forward slashes). */
  labelImage: string;
  /** Whether the config already points there (nothing to change). */
  upToDate: boolean;
  /** The line(s) to add or change, as they would read in the file (for "add this yourself"). */
  line: string;
  /** The config's text before and after the change. */
  before: string;
  after: string;
  /** A short unified-style diff of the changed lines (for the confirmation dialog). */
  diff: string;
}

/** The `label_image` value for a mask path: relative to the config's folder when below it. */
export function relativeMaskPath(configPath: string, maskPath: string): string {
  let rel = relative(dirname(configPath), maskPath);
  if (isAbsolute(rel)) rel = maskPath;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

const yamlScalar = (s: string): string => (/^[A-Za-z0-9_./-]+$/.test(s) && !/^(true|false|null|yes|no|on|off|~|[-+.\d].*)$/i.test(s) ? s : JSON.stringify(s));

/** The proposed change of `configPath` so that `rois` names `maskPath`; throws a one-line error on an unparsable config. */
export async function proposeRoisChange(configPath: string, maskPath: string): Promise<ConfigRoisChange> {
  const labelImage = relativeMaskPath(configPath, maskPath);
  const before = await readFile(configPath, 'utf8');
  const json = extname(configPath).toLowerCase() === '.json';
  const doc = parseDocument(before, { keepSourceTokens: false });
  if (doc.errors.length) throw valueError(`${configPath}: cannot propose the rois change: ${doc.errors[0].message}`);
  if (!isMap(doc.contents)) throw valueError(`${configPath}: expected a mapping at the top level`);
  const str = json ? JSON.stringify(labelImage) : yamlScalar(labelImage);
  const flow = json ? `{"label_image": ${str}}` : `{label_image: ${str}}`;
  const line = json ? `"rois": ${flow}` : `rois: ${flow}`;
  const current = doc.toJS() as Record<string, unknown>;
  const cur = current.rois as Record<string, unknown> | undefined;
  const upToDate = !!cur && typeof cur === 'object' && Object.keys(cur).length === 1 && cur.label_image === labelImage;
  let after = before;
  if (!upToDate) {
    const pair = doc.contents.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === 'rois');
    const value = pair?.value as YamlNode | null | undefined;
    if (pair && value && value.range) {
      let target: YamlNode = value;
      let text = flow;
      // `rois: {label_image: old}` or the block form: change only the old path.
      if (isMap(value) && value.items.length === 1 && isScalar(value.items[0].key) && value.items[0].key.value === 'label_image' && isScalar(value.items[0].value) && value.items[0].value.range) {
        target = value.items[0].value;
        text = str;
      }
      const [start, rangeEnd] = target.range!;
      // A block node's range runs to the start of the next line: keep its line break and trailing spaces.
      let end = rangeEnd;
      while (end > start && /\s/.test(before[end - 1])) end--;
      after = before.slice(0, start) + text + before.slice(end);
    } else if (json) {
      // Before the closing brace of the top-level object.
      const close = before.lastIndexOf('}');
      const head = before.slice(0, close).replace(/\s*$/, '');
      after = `${head}${head.endsWith('{') ? '' : ','}\n  ${line}\n${before.slice(close)}`;
    } else {
      after = `${before}${before.endsWith('\n') || before === '' ? '' : '\n'}${line}\n`;
    }
    // The edit must change `rois` and nothing else.
    const check = parseDocument(after);
    const got = check.errors.length ? null : (check.toJS() as Record<string, unknown>);
    const expect = { ...current, rois: { label_image: labelImage } };
    if (!got || JSON.stringify(sortKeys(got)) !== JSON.stringify(sortKeys(expect))) {
      throw valueError(`${configPath}: could not change rois without touching other settings; add this line yourself: ${line}`);
    }
  }
  return { configPath, labelImage, upToDate, line, before, after, diff: lineDiff(before, after) };
}

/** Writes the proposed change (atomically), unless the file changed since it was proposed. */
export async function applyRoisChange(change: ConfigRoisChange): Promise<void> {
  const now = await readFile(change.configPath, 'utf8');
  if (now !== change.before) throw valueError(`${change.configPath}: the file changed since the ROIs were saved; save them again`);
  if (!change.upToDate) await writeFileAtomic(change.configPath, change.after);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/** The changed lines as `- old` / `+ new` (common head and tail lines left out, with line numbers). */
export function lineDiff(a: string, b: string): string {
  const A = a.split('\n');
  const B = b.split('\n');
  let i = 0;
  while (i < A.length && i < B.length && A[i] === B[i]) i++;
  let ja = A.length - 1;
  let jb = B.length - 1;
  while (ja >= i && jb >= i && A[ja] === B[jb]) { ja--; jb--; }
  const out = [`@@ line ${i + 1}`];
  for (let k = i; k <= ja; k++) out.push(`- ${A[k]}`);
  for (let k = i; k <= jb; k++) out.push(`+ ${B[k]}`);
  return out.join('\n');
}
