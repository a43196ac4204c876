"""Reads an xlsx file with openpyxl (an independent reader) and prints every sheet as JSON.

Used by test/export-xlsx-writer.test.ts. Checks the ZIP container with zipfile.testzip() (CRC of every entry)
first. Prints {"sheets": [{"name", "rows": [[{"t": type, "v": value}, ...], ...]}], "dates": [...]};
type is openpyxl's cell data_type ('n', 's', 'b') or null for an empty cell. Floats that are not finite cannot
come out of a valid file, so plain JSON is enough.
"""
import json
import sys
import zipfile

import openpyxl

path = sys.argv[1]
with zipfile.ZipFile(path) as z:
    bad = z.testzip()
    if bad is not None:
        sys.exit(f"bad CRC in {bad}")
    dates = sorted({i.date_time for i in z.infolist()})
wb = openpyxl.load_workbook(path, read_only=False)
out = {"sheets": [], "dates": [list(d) for d in dates]}
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows():
        rows.append([
            None if c.value is None else {"t": c.data_type, "v": c.value}
            for c in row
        ])
    out["sheets"].append({"name": ws.title, "rows": rows})
json.dump(out, sys.stdout)
