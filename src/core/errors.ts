/**
 * Tagged errors. Every user-facing failure is one of these, with a one-line message that names
 * the file, the key or the value and what was expected; the CLI prints `error: <message>` and exits 1.
 */
export type CellColocErrorTag =
  | 'ConfigError' // config file: unknown key, wrong type, out-of-range value
  | 'InputError' // missing/unreadable/corrupt input file, channel beyond the image, bad ROI
  | 'ValueError' // bad argument to a library function
  | 'NotSupportedError' // a field accepted by the schema but implemented in a later issue
  | 'ExportError'; // writing results failed

export class CellColocError extends Error {
  readonly _tag: CellColocErrorTag;
  constructor(tag: CellColocErrorTag, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this._tag = tag;
    this.name = tag;
  }
}

export function isCellColocError(err: unknown, tag?: CellColocErrorTag): err is CellColocError {
  return err instanceof CellColocError && (tag === undefined || err._tag === tag);
}

export const configError = (m: string) => new CellColocError('ConfigError', m);
export const inputError = (m: string, cause?: unknown) => new CellColocError('InputError', m, { cause });
export const valueError = (m: string) => new CellColocError('ValueError', m);
export const notSupported = (m: string) => new CellColocError('NotSupportedError', m);
