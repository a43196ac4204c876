/**
 * Column-oriented table: the TypeScript counterpart of the original's pandas DataFrames.
 * Every value is kept in a Float64Array (NaN = missing); `kind` decides how a column prints,
 * mirroring pandas dtypes: `int` → `12`, `float` → shortest round-trip repr (`12.0`, `0.5`),
 * `bool` → `True`/`False`, `label` → an integer id column that pandas turns into float64 as soon as
 * one value is NaN (`2.0` and empty field), else int64 (spec 7.2, Q38).
 * Column sets are stable: an empty table keeps its columns (fix Q38).
 */
export type ColumnKind = 'int' | 'float' | 'bool' | 'label';

export interface Column {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly values: Float64Array;
}

export interface Table {
  /** Sheet name as in the original's workbook (spec 7.6). */
  readonly name: string;
  readonly columns: readonly Column[];
  readonly rowCount: number;
}

export function makeTable(name: string, columns: Column[]): Table {
  const rowCount = columns.length ? columns[0].values.length : 0;
  for (const c of columns) {
    if (c.values.length !== rowCount) {
      throw new Error(`table ${name}: column ${c.name} has ${c.values.length} rows, expected ${rowCount}`);
    }
  }
  return { name, columns, rowCount };
}

export function column(name: string, kind: ColumnKind, values: Float64Array | number[]): Column {
  return { name, kind, values: values instanceof Float64Array ? values : Float64Array.from(values) };
}

export function getColumn(table: Table, name: string): Column {
  const c = table.columns.find((col) => col.name === name);
  if (!c) throw new Error(`table ${table.name} has no column ${name}`);
  return c;
}

/** Reorder rows: returns a new table whose row i is row `order[i]` of the input. */
export function takeRows(table: Table, order: ArrayLike<number>): Table {
  const cols = table.columns.map((c) => {
    const v = new Float64Array(order.length);
    for (let i = 0; i < order.length; i++) v[i] = c.values[order[i]];
    return { name: c.name, kind: c.kind, values: v };
  });
  return { name: table.name, columns: cols, rowCount: order.length };
}
