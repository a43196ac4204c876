/**
 * Direct SpreadsheetML writer (ECMA-376 Part 1, section 18): each worksheet's XML is built straight into
 * strings, row by row, then the minimal package ([Content_Types].xml, _rels/.rels, xl/workbook.xml,
 * xl/_rels/workbook.xml.rels, xl/styles.xml, xl/worksheets/sheetN.xml) is zipped by `zip.ts`.
 * Replaces write-excel-file (issue 21: ~300 ms of the 2D run's CPU, ~80 % of `cellcoloc merge`), which built a
 * cell object per value and a shared-string table before zipping.
 *
 * Cell encoding, as Excel, LibreOffice and openpyxl read it:
 * - numbers: `<c r="B2"><v>0.5</v></c>` with JS's shortest round-trip decimal (`String(v)`, a valid xsd:double);
 *   NaN and ±Infinity become no cell at all (an empty cell, as pandas' `na_rep=''` gives; Excel "repairs" a
 *   `<v>NaN</v>` and openpyxl rejects it);
 * - booleans: `t="b"` with 1/0;
 * - text: inline strings (`t="inlineStr"`), XML-escaped, characters XML 1.0 forbids replaced by U+FFFD.
 * Output is deterministic: same sheets, same bytes (fixed zip timestamps, no document properties).
 */
import { exportError } from '../io/atomic-write.js';
import { zipDeflated, type ZipEntry } from './zip.js';

/** Excel's sheet limits (rows × columns) and the longest text a cell holds. */
export const EXCEL_MAX_ROWS = 1_048_576;
export const EXCEL_MAX_COLUMNS = 16_384;
const EXCEL_MAX_TEXT = 32_767;

/** Excel limits a sheet name to 31 characters without `[]:*?/\`. */
export function checkSheetName(name: string): void {
  if (name.length === 0 || name.length > 31 || /[[\]:*?/\\]/.test(name)) {
    throw exportError(`sheet name "${name}": Excel needs 1–31 characters without []:*?/\\`);
  }
}

const columnLetters: string[] = [];
/** Column reference letters: 0 → A, 25 → Z, 26 → AA (bijective base 26). */
function columnName(c: number): string {
  while (columnLetters.length <= c) {
    let n = columnLetters.length + 1;
    let s = '';
    while (n > 0) {
      const m = (n - 1) % 26;
      s = String.fromCharCode(65 + m) + s;
      n = (n - 1 - m) / 26;
    }
    columnLetters.push(s);
  }
  return columnLetters[c];
}

// XML 1.0 Char production excludes C0 controls except tab/LF/CR, lone surrogates, U+FFFE and U+FFFF.
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const XML_SPECIAL = /[&<>"]/;

export function xmlEscape(s: string): string {
  let t = s.replace(XML_INVALID, '\uFFFD');
  if (XML_SPECIAL.test(t)) t = t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return t;
}

/**
 * One worksheet, written row by row: `beginRow()`, then one call per column (`number`, `boolean`, `text`,
 * `empty`), then `endRow()`.
 */
export class SheetWriter {
  readonly name: string;
  /**
   * The sheet's XML in pieces, joined once by `toXml` (issue 21: appending each cell to a row string built deep
   * rope strings that the join had to flatten; ~30 % of the workbook's time on the 2D bench).
   */
  private readonly parts: string[] = [];
  private nRows = 0;
  private rowRef = '';
  private col = 0;

  constructor(name: string) {
    checkSheetName(name);
    this.name = name;
  }

  get rowCount(): number {
    return this.nRows;
  }

  beginRow(): void {
    if (this.nRows >= EXCEL_MAX_ROWS) throw exportError(`sheet ${this.name}: more than ${EXCEL_MAX_ROWS} rows, which Excel cannot hold`);
    this.rowRef = String(++this.nRows);
    this.parts.push('<row r="' + this.rowRef + '">');
    this.col = 0;
  }

  private ref(): string {
    if (this.col >= EXCEL_MAX_COLUMNS) throw exportError(`sheet ${this.name}: more than ${EXCEL_MAX_COLUMNS} columns, which Excel cannot hold`);
    return columnName(this.col++) + this.rowRef;
  }

  /** A number; NaN and ±Infinity give an empty cell. */
  number(v: number): void {
    if (v - v !== 0) {
      // NaN or ±Infinity (x - x is NaN for both): no cell.
      this.col++;
      return;
    }
    this.parts.push('<c r="' + this.ref() + '"><v>' + (v === 0 ? '0' : String(v)) + '</v></c>');
  }

  boolean(v: boolean): void {
    this.parts.push('<c r="' + this.ref() + (v ? '" t="b"><v>1</v></c>' : '" t="b"><v>0</v></c>'));
  }

  /** Text as an inline string; longer than Excel's 32,767-character cell limit is cut (the CSVs keep it whole). */
  text(s: string): void {
    const t = s.length > EXCEL_MAX_TEXT ? s.slice(0, EXCEL_MAX_TEXT) : s;
    const space = /^\s|\s$/.test(t) ? ' xml:space="preserve"' : '';
    this.parts.push(`<c r="${this.ref()}" t="inlineStr"><is><t${space}>${xmlEscape(t)}</t></is></c>`);
  }

  empty(): void {
    this.col++;
  }

  endRow(): void {
    this.parts.push('</row>');
  }

  /** The worksheet part's XML. */
  toXml(): string {
    return (
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
      this.parts.join('') +
      '</sheetData></worksheet>'
    );
  }
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NS_MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const NS_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const NS_PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';
const CT = 'application/vnd.openxmlformats-officedocument.spreadsheetml';

/** One font, the two fills Excel requires (none, gray125), one border, one cell format: the "Normal" style. */
const STYLES_XML =
  XML_HEAD +
  `<styleSheet xmlns="${NS_MAIN}">` +
  '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  '</styleSheet>';

/** The xlsx package bytes for these sheets, in order. */
export async function encodeXlsx(sheets: readonly SheetWriter[]): Promise<Uint8Array> {
  if (sheets.length === 0) throw exportError('workbook: no sheets to write');
  const seen = new Set<string>();
  for (const s of sheets) {
    // Excel compares sheet names case-insensitively.
    const key = s.name.toLowerCase();
    if (seen.has(key)) throw exportError(`workbook: sheet name "${s.name}" used twice`);
    seen.add(key);
  }
  const n = sheets.length;
  let overrides = '';
  let sheetList = '';
  let rels = '';
  for (let i = 1; i <= n; i++) {
    overrides += `<Override PartName="/xl/worksheets/sheet${i}.xml" ContentType="${CT}.worksheet+xml"/>`;
    sheetList += `<sheet name="${xmlEscape(sheets[i - 1].name)}" sheetId="${i}" r:id="rId${i}"/>`;
    rels += `<Relationship Id="rId${i}" Type="${NS_REL}/worksheet" Target="worksheets/sheet${i}.xml"/>`;
  }
  rels += `<Relationship Id="rId${n + 1}" Type="${NS_REL}/styles" Target="styles.xml"/>`;
  const text = (name: string, xml: string): ZipEntry => ({ name, data: Buffer.from(xml, 'utf8') });
  const entries: ZipEntry[] = [
    text(
      '[Content_Types].xml',
      XML_HEAD +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        `<Override PartName="/xl/workbook.xml" ContentType="${CT}.sheet.main+xml"/>` +
        `<Override PartName="/xl/styles.xml" ContentType="${CT}.styles+xml"/>` +
        overrides +
        '</Types>',
    ),
    text(
      '_rels/.rels',
      XML_HEAD +
        `<Relationships xmlns="${NS_PKG_REL}">` +
        `<Relationship Id="rId1" Type="${NS_REL}/officeDocument" Target="xl/workbook.xml"/>` +
        '</Relationships>',
    ),
    text('xl/workbook.xml', XML_HEAD + `<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheets>${sheetList}</sheets></workbook>`),
    text('xl/_rels/workbook.xml.rels', XML_HEAD + `<Relationships xmlns="${NS_PKG_REL}">${rels}</Relationships>`),
    text('xl/styles.xml', STYLES_XML),
    ...sheets.map((s, i) => text(`xl/worksheets/sheet${i + 1}.xml`, s.toXml())),
  ];
  return zipDeflated(entries);
}
