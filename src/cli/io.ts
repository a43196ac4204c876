/** Where a command writes: stdout (results) and stderr (progress, warnings, errors); tests pass their own. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}
