"""Compound libraries for virtual screens: CSV, SMILES lists and SDF to compounds plus per-row problems."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from omtx_core.chem import parse_smiles
from omtx_core.errors import FieldProblem, Problem

MAX_COMPOUNDS = 10_000  # the most a screen takes (drug_discovery's `compounds` field)
MAX_LIBRARY_MB = 50  # the largest library file read: 10,000 compounds as SDF with 3D coordinates fit easily
MAX_ROW_PROBLEMS = 1_000  # unreadable rows after which a file is taken for something other than a library
SMILES_COLUMNS = ("smiles", "canonical_smiles", "smile", "structure")
NAME_COLUMNS = ("name", "id", "compound", "compound_id", "title", "molecule", "mol_name")
_DELIMITERS = ",\t;"
_SNIFF_CHARS = 8192  # enough rows to see the delimiter; keeps csv.Sniffer's regexes fast on huge lines
_MAX_LISTED_COLUMNS = 12
_RDKIT_ERROR = re.compile(r"ERROR: (.+)")
_LABEL = re.compile(r"[^\W\d][\w .\-]*")  # a column title; no SMILES brackets, bonds or ring digits first
_EMPTY_HINT = "Upload a CSV, a SMILES list or an SDF file with at least one compound."
_NO_SMILES_HINT = "Fill it in or delete the row."
_CSV_HINT = "Check the quotes on this line; the rows after it were not read."
_SDF_HINT = "Export the structure again from your drawing or registration tool, or give it as SMILES."


@dataclass(frozen=True)
class CompoundEntry:
    """One compound of a library: its name (as given or generated) and canonical SMILES."""

    name: str
    smiles: str


@dataclass
class CompoundLibrary:
    """What a reader found: the compounds it could read, a problem per row it could not, and warnings."""

    compounds: list[CompoundEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def room(self, where: str) -> bool:
        """Whether `where` may still be read; past a cap, records why reading stopped there and says no."""
        if len(self.compounds) >= MAX_COMPOUNDS:
            message = f"The library has more than {MAX_COMPOUNDS:,} compounds; reading stopped at {where}."
            hint = f"A screen takes at most {MAX_COMPOUNDS:,} compounds: split the library into several screens."
        elif len(self.problems) >= MAX_ROW_PROBLEMS:
            message = f"More than {MAX_ROW_PROBLEMS:,} rows could not be read; reading stopped at {where}."
            hint = "Check that the file is a compound library: a CSV with a SMILES column, a SMILES list or an SDF."
        else:
            return True
        self.problems.append(Problem("file", message, hint))
        return False

    def as_input(self) -> list[dict]:
        """The compounds as the drug_discovery task's `compounds` field expects them."""
        return [{"name": c.name, "smiles": c.smiles} for c in self.compounds]

    def _add(self, where: str, smiles: str, name: str) -> None:
        """Parse one SMILES into a compound, or record why not; never raises."""
        try:
            ligand = parse_smiles(smiles)
        except FieldProblem as exc:
            self.problems.append(Problem(where, exc.message, exc.hint))
            return
        if ligand.removed_fragments:
            removed = ", ".join(ligand.removed_fragments)
            self.warnings.append(Problem(where, f"Kept the largest fragment, removed {removed}."))
        # Numbered among compounds, not rows, so generated names stay unique and gap-free.
        name = name.strip() or f"compound_{len(self.compounds) + 1}"
        self.compounds.append(CompoundEntry(name, ligand.smiles))


def read_compound_csv(text: str) -> CompoundLibrary:
    """Read a CSV/TSV of compounds; rows are numbered as lines in the file, header included."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return _empty()
    library = CompoundLibrary()
    rows = _csv_rows(text, library)
    if not rows:
        return _finish(library)
    layout = _layout(rows)
    if isinstance(layout, Problem):
        library.problems.append(layout)
        return library
    smiles_col, name_col, has_header = layout
    for line, cells in rows[1:] if has_header else rows:
        if not library.room(f"row {line}"):
            break
        smiles = cells[smiles_col] if smiles_col < len(cells) else ""
        name = cells[name_col] if name_col is not None and name_col < len(cells) else ""
        if not smiles:
            library.problems.append(Problem(f"row {line}", "This row has no SMILES.", _NO_SMILES_HINT))
            continue
        library._add(f"row {line}", smiles, name)
    return _finish(library)


def _csv_rows(text: str, library: CompoundLibrary) -> list[tuple[int, list[str]]]:
    """Non-empty rows with the file line each starts on; a line the csv module rejects ends the reading."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for cells in reader:
            # line_num is the row's last line; a quoted field may span lines, so count from the previous row.
            start, last = last + 1, reader.line_num
            cells = [c.strip() for c in cells]
            if any(cells):
                rows.append((start, cells))
    except csv.Error as exc:
        message = f"Cannot read this line as CSV: {exc}."
        library.problems.append(Problem(f"row {last + 1}", message, _CSV_HINT))
    return rows


def _sniff_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","  # one column, or too irregular to tell: comma is the common case


def _layout(rows: list[tuple[int, list[str]]]) -> tuple[int, int | None, bool] | Problem:
    """Where the SMILES and names are: (SMILES column, name column or None, first row is a header)."""
    first = rows[0][1]
    keys = [_column_key(cell) for cell in first]
    smiles_col = next((keys.index(k) for k in SMILES_COLUMNS if k in keys), None)
    if smiles_col is not None:
        return smiles_col, next((keys.index(k) for k in NAME_COLUMNS if k in keys), None), True
    if _is_header(rows, keys):
        return _header_problem(first)
    if len(first) == 1:
        return 0, None, False
    return (0, 1, False) if _parses(first[0]) else (1, 0, False)


def _column_key(cell: str) -> str:
    # "Canonical SMILES" and "compound-id" are the same columns as canonical_smiles and compound_id.
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def _is_header(rows: list[tuple[int, list[str]]], keys: list[str]) -> bool:
    """Labels: no molecule in the row, and it names a column, or is all words above a row with a molecule."""
    if any(_parses(cell) for cell in rows[0][1]):
        return False
    if any(key in NAME_COLUMNS for key in keys):
        return True
    # A mistyped SMILES in row 1 (brackets, ring digits) must stay a row problem, not hide the whole file.
    words = all(_LABEL.fullmatch(cell) for cell in rows[0][1] if cell)
    return words and len(rows) > 1 and any(_parses(cell) for cell in rows[1][1][:2])


def _header_problem(header: list[str]) -> Problem:
    found = ", ".join(repr(c) for c in header[:_MAX_LISTED_COLUMNS] if c)
    if len(header) > _MAX_LISTED_COLUMNS:
        found += f" and {len(header) - _MAX_LISTED_COLUMNS} more"
    return Problem(
        "header",
        f"The header has no SMILES column (columns found: {found}).",
        f"Name the column that holds the SMILES one of: {', '.join(SMILES_COLUMNS)}.",
    )


def _parses(cell: str) -> bool:
    try:
        parse_smiles(cell)
    except FieldProblem:
        return False
    return True


def read_smiles_list(text: str) -> CompoundLibrary:
    """Read one compound per line, "SMILES" or "SMILES name"; blank lines and # comments are skipped."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return _empty()
    library = CompoundLibrary()
    seen_first = False
    for number, line in enumerate(_lines(text), start=1):
        parts = line.split(None, 1)
        if not parts or parts[0].startswith("#"):
            continue
        if not library.room(f"row {number}"):
            break
        # .smi exports often start with a "SMILES Name" header line.
        if seen_first or _column_key(parts[0]) not in SMILES_COLUMNS:
            library._add(f"row {number}", parts[0], parts[1] if len(parts) > 1 else "")
        seen_first = True
    return _finish(library)


def _lines(text: str) -> list[str]:
    # Only \n, \r\n and \r end a line, as editors count them (str.splitlines also splits on \x1c, \u2028...).
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def read_compound_sdf(text: str) -> CompoundLibrary:
    """Read an SDF (or a single MOL block); records are numbered from 1 in file order."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return _empty()
    from rdkit import Chem, rdBase

    library = CompoundLibrary()
    # Trailing blank lines after the last $$$$ would otherwise come back as one more, unreadable, record.
    data = (text.rstrip() + "\n").encode("utf-8", "replace")
    supplier = Chem.ForwardSDMolSupplier(io.BytesIO(data))
    number = 0
    while True:
        number += 1
        with rdBase.CaptureErrorLog() as log:  # RDKit's complaints become the problem text, not stderr noise
            try:
                mol = next(supplier)
            except StopIteration:
                break
            except Exception as exc:  # RDKit's own types on a malformed stream; nothing after it is readable
                library.problems.append(_sdf_problem(number, str(exc)))
                break
        if not library.room(f"record {number}"):
            break
        if mol is None:
            library.problems.append(_sdf_problem(number, _rdkit_reason(log)))
            continue
        library._add(f"record {number}", Chem.MolToSmiles(mol), _sdf_name(mol))
    return _finish(library)


def _sdf_problem(number: int, reason: str) -> Problem:
    return Problem(f"record {number}", f"RDKit cannot read this record: {reason}.", _SDF_HINT)


def _rdkit_reason(log) -> str:
    try:
        match = _RDKIT_ERROR.search(log.messages)
    except UnicodeDecodeError:  # RDKit's log can hold a broken UTF-8 sequence from a mangled record
        match = None
    return match[1].strip().rstrip(".") if match else "not a valid MOL block"


def _sdf_name(mol) -> str:
    """The title line, else a name-like data field (name, ID, ...), else "" for a generated name."""
    data = {_column_key(key): mol.GetProp(key).strip() for key in mol.GetPropNames()}
    title = mol.GetProp("_Name").strip() if mol.HasProp("_Name") else ""
    return next((name for name in (title, *(data.get(k, "") for k in NAME_COLUMNS)) if name), "")


def read_compound_library(text: str, filename: str = "") -> CompoundLibrary:
    """Read a library with the reader its file extension names, or else the one its content suggests."""
    reader = _READERS.get(PurePath(filename).suffix.lower()) if filename else None
    return (reader or _reader_for_content(text))(text)


def _reader_for_content(text: str) -> Callable[[str], CompoundLibrary]:
    if "$$$$" in text or "M  END" in text:
        return read_compound_sdf
    first_line = next((line for line in _lines(text.removeprefix("\ufeff")) if line.strip()), "")
    return read_compound_csv if any(d in first_line for d in _DELIMITERS) else read_smiles_list


_READERS: dict[str, Callable[[str], CompoundLibrary]] = {
    **dict.fromkeys((".csv", ".tsv"), read_compound_csv),  # .txt may be either: read by content
    **dict.fromkeys((".smi", ".smiles"), read_smiles_list),
    **dict.fromkeys((".sdf", ".sd", ".mol"), read_compound_sdf),
}


def _empty() -> CompoundLibrary:
    return CompoundLibrary(problems=[Problem("file", "The compound library is empty.", _EMPTY_HINT)])


def _finish(library: CompoundLibrary) -> CompoundLibrary:
    # A file of only comments, blank rows or a header reads without errors but screens nothing: say so.
    if not library.compounds and not library.problems:
        library.problems.append(Problem("file", "The file has no compounds.", _EMPTY_HINT))
    return library
