/**
 * CSV serialisation byte-compatible with pandas `DataFrame.to_csv(index=False)` (pandas 1.5/2.x, spec 7.6):
 * header line, `\n` line endings, Python `csv.QUOTE_MINIMAL` quoting, NaN → empty field.
 * Column kinds follow `src/core/table.ts`: `int` → `12`, `float` → Python `repr(float)`, `bool` → `True`/`False`,
 * `label` → ints, or floats (`2.0`) as soon as the column holds one NaN (pandas upcasts int64 → float64, Q38).
 */
import type { Column, Table } from '../core/table.js';

/**
 * Python `repr(float)` / `float.__repr__` (format code 'r'): the shortest string that round-trips
 * (same digits as JS, which also prints the shortest round-trip decimal), but with Python's layout:
 * scientific iff the decimal exponent is < -4 or >= 16, exponent with sign and at least two digits
 * (`1e-05`, `1.5e+16`), `.0` appended to integral fixed-point values, `inf`/`-inf`/`nan`, `-0.0`.
 */
export function pythonFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = v < 0 ? -v : v;
  if (a >= 1e-4 && a < 1e16) {
    // Fast path: here both Python and JS (fixed notation for 1e-7 ≤ |v| < 1e21) print the same shortest
    // digits without an exponent; Python adds ".0" to integral values.
    const s = String(v);
    return Number.isInteger(v) ? `${s}.0` : s;
  }
  // toExponential() without an argument gives the shortest round-trip digits: "d.ddde±x".
  const s = v.toExponential();
  const neg = s.charCodeAt(0) === 45; // '-'
  const ePos = s.indexOf('e');
  const mant = s.slice(neg ? 1 : 0, ePos);
  const exp = Number(s.slice(ePos + 1));
  const digits = mant.length > 1 ? mant[0] + mant.slice(2) : mant; // drop the '.'
  let out: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const a = Math.abs(exp);
    out = `${m}e${exp < 0 ? '-' : '+'}${a < 10 ? '0' : ''}${a}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${out}` : out;
}

/** Integer text for an integral double (no exponent, unlike `String(1e21)`). */
function intText(v: number): string {
  return Math.abs(v) < 1e21 ? String(v === 0 ? 0 : v) : BigInt(v).toString();
}

/**
 * Per-column formatter. An `int` column that unexpectedly holds a fractional value prints it as a float
 * rather than losing it (pandas could not hold that value in an int64 column in the first place).
 */
function columnFormatter(col: Column): (v: number) => string {
  switch (col.kind) {
    case 'bool':
      return (v) => (Number.isNaN(v) ? '' : v !== 0 ? 'True' : 'False');
    case 'float':
      return (v) => (Number.isNaN(v) ? '' : pythonFloatRepr(v));
    case 'int':
      return (v) => (Number.isNaN(v) ? '' : Number.isInteger(v) ? intText(v) : pythonFloatRepr(v));
    case 'label': {
      const vals = col.values;
      let hasNaN = false;
      for (let i = 0; i < vals.length; i++) {
        if (Number.isNaN(vals[i])) {
          hasNaN = true;
          break;
        }
      }
      if (hasNaN) return (v) => (Number.isNaN(v) ? '' : pythonFloatRepr(v));
      return (v) => (Number.isInteger(v) ? intText(v) : pythonFloatRepr(v));
    }
  }
}

/** Python csv QUOTE_MINIMAL: quote when the field holds the delimiter, the quote char, CR or LF. */
export function csvField(s: string): string {
  if (/[",\r\n]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

export function tableToCsv(table: Table): string {
  const cols = table.columns;
  // pandas writes an empty DataFrame (no columns) as a single newline.
  if (cols.length === 0) return '\n';
  const fmts = cols.map(columnFormatter);
  const nCols = cols.length;
  const parts: string[] = new Array(table.rowCount + 1);
  parts[0] = cols.map((c) => csvField(c.name)).join(',');
  const fields: string[] = new Array(nCols);
  for (let r = 0; r < table.rowCount; r++) {
    // Formatted numbers/booleans never contain `,` `"` or newlines: no quoting check needed per value.
    for (let c = 0; c < nCols; c++) fields[c] = fmts[c](cols[c].values[r]);
    // Python's csv writer quotes a row made of one empty field (`""`), else the line would be blank.
    parts[r + 1] = nCols === 1 && fields[0] === '' ? '""' : fields.join(',');
  }
  return parts.join('\n') + '\n';
}
