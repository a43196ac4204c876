/**
 * Issue formatting: ONE line, `<file>: <key.path>: expected <what>, got <value>; <next problem>`.
 */
import { z } from 'zod';
import { closestName } from './fields.js';
import { ConfigFileSchema } from './file.js';

/** `a.b[0].c` */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += (s === '' ? '' : '.') + String(p);
  }
  return s;
}

/** A short, one-line rendering of a value from the file. */
export function formatValue(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch {
    s = String(v);
  }
  if (s === undefined) s = String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The strict-object keys known at `path` of the file schema (for "did you mean"). */
export function knownKeysAt(root: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  // Walk the schema along the path, unwrapping wrappers (default/prefault/optional/nullable/pipe/union).
  const objectsOf = (s: z.ZodType, seen = 0): z.ZodObject[] => {
    if (seen > 20) return [];
    const def = (s as unknown as { _zod: { def: Record<string, any> } })._zod.def;
    switch (def.type) {
      case 'object':
        return [s as z.ZodObject];
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
        return objectsOf(def.innerType, seen + 1);
      case 'pipe':
        return objectsOf(def.in, seen + 1);
      case 'union':
        return (def.options as z.ZodType[]).flatMap((o) => objectsOf(o, seen + 1));
      default:
        return [];
    }
  };
  const childOf = (s: z.ZodType, key: PropertyKey, seen = 0): z.ZodType[] => {
    if (seen > 20) return [];
    const def = (s as unknown as { _zod: { def: Record<string, any> } })._zod.def;
    switch (def.type) {
      case 'object': {
        const c = (s as z.ZodObject).shape[key as string];
        return c ? [c as z.ZodType] : [];
      }
      case 'array':
        return typeof key === 'number' ? [def.element] : [];
      case 'tuple':
        return typeof key === 'number' && def.items[key] ? [def.items[key]] : [];
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
        return childOf(def.innerType, key, seen + 1);
      case 'pipe':
        return childOf(def.in, key, seen + 1);
      case 'union':
        return (def.options as z.ZodType[]).flatMap((o) => childOf(o, key, seen + 1));
      default:
        return [];
    }
  };
  let cur: z.ZodType[] = [root];
  for (const p of path) cur = cur.flatMap((s) => childOf(s, p));
  void input;
  const keys = new Set<string>();
  for (const s of cur) for (const o of objectsOf(s)) for (const k of Object.keys(o.shape)) keys.add(k);
  return [...keys];
}

export interface FlatIssue {
  path: PropertyKey[];
  message: string;
  input: unknown;
  hasInput: boolean;
}

/** Flattens zod issues; a union whose input matched one branch's type reports that branch's inner issues. */
export function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[], out: FlatIssue[], root: z.ZodType): void {
  for (const iss of issues) {
    const path = [...prefix, ...iss.path];
    if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      // Branches whose failures are deeper than the union itself (the value had the right shape).
      const deep = iss.errors.filter((branch) => branch.some((b) => b.path.length > 0 || b.code === 'custom' || b.code === 'unrecognized_keys'));
      if (deep.length === 1) {
        flattenIssues(deep[0], path, out, root);
        continue;
      }
    }
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeysAt(root, path, iss.input);
      for (const key of iss.keys) {
        const guess = closestName(key, known);
        const objPath = formatKeyPath(path);
        const where = objPath === '' ? 'a top-level section' : `a field of ${objPath}`;
        out.push({
          path: [...path, key],
          message: guess ? `unknown key, did you mean \`${guess}\`?` : `unknown key (not ${where})`,
          input: undefined,
          hasInput: false,
        });
      }
      continue;
    }
    const hasInput = 'input' in iss;
    out.push({ path, message: iss.message, input: (iss as { input?: unknown }).input, hasInput });
  }
}

/** One line for all problems of a failed parse: `<file>: <key>: expected …, got …; <key>: …`. */
export function formatConfigIssues(issues: readonly z.core.$ZodIssue[], configLabel: string, maxProblems = 5): string {
  const flat: FlatIssue[] = [];
  flattenIssues(issues, [], flat, ConfigFileSchema);
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const f of flat) {
    const key = formatKeyPath(f.path) || '(top level)';
    // A trailing "(did you mean `x`?)" hint goes after the value: `expected …, got "gausian" (did you mean …?)`.
    const m = /^(expected .*?)( \(did you mean `[^`]*`\?\))?$/.exec(f.message);
    const text = m
      ? `${key}: ${m[1]}, got ${f.hasInput ? formatValue(f.input) : formatValue(undefined)}${m[2] ?? ''}`
      : `${key}: ${f.message}`;
    if (seen.has(text)) continue;
    seen.add(text);
    parts.push(text);
  }
  const shown = parts.slice(0, maxProblems);
  const more = parts.length > maxProblems ? `; (${parts.length - maxProblems} more problem${parts.length - maxProblems === 1 ? '' : 's'})` : '';
  return `${configLabel}: ${shown.join('; ')}${more}`;
}

