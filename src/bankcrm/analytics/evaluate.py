"""How well would the bank's learner predict this outcome? Cross-validation on any table.

`evaluate_file` reads a labelled customer table (CSV or Parquet), runs `TabularLearner`
in stratified k-fold cross-validation with a fixed seed and scores the pooled out-of-fold
probabilities with the metrics of `bankcrm.analytics.metrics`. Every row is predicted by a
model that never saw it, so the figures estimate performance on new customers.

Input rules (each broken rule is a UserError that says what and where):
- CSV is read as text and typed per column afterwards: a column is numeric when every
  non-empty value parses as a number, a date/time when every value parses as ISO 8601,
  otherwise categorical. Empty cells and the usual null markers (NA, NULL, N/A, ...) are
  missing. Quoted fields may hold the separator but not line breaks.
- Rows with the wrong number of fields are refused (with their line numbers), never
  skipped: silently losing rows would bias the figures. Blank lines are ignored.
- Rows whose target is missing are refused with their count and first line numbers,
  not dropped: a missing outcome usually means a broken extract, and dropping rows
  silently changes the population being evaluated. Remove them first if intended.
- The positive value is matched exactly as text, or numerically when both it and the
  target column are numbers ("1" matches 1.0); a boolean target matches true/false in any
  case, or 1/0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sklearn.model_selection import StratifiedKFold

from bankcrm.analytics import metrics
from bankcrm.analytics.learner import TabularLearner, as_table
from bankcrm.kit.errors import UserError

BoolArray = npt.NDArray[np.bool_]
FoldProgress = Callable[[int, int], None]  # (folds done, folds in all)

PARQUET_SUFFIXES = (".parquet", ".pq")
SHOWN = 5  # line numbers / values quoted in a message


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """Cross-validated figures of the learner on one labelled table."""

    roc_auc: float
    pr_auc: float
    brier: float
    top_decile_lift: float
    capture_at_50: float
    n_rows: int
    positives: int
    folds: int
    seed: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class LoadedTable:
    """A table plus how to name its rows in messages (file line numbers for CSV)."""

    table: pa.Table
    row_lines: Callable[[npt.NDArray[np.intp]], list[str]]


def _numbered(prefix: str, offset: int) -> Callable[[npt.NDArray[np.intp]], list[str]]:
    def name(rows: npt.NDArray[np.intp]) -> list[str]:
        return [f"{prefix} {int(r) + offset:,}" for r in rows]

    return name


def _shown(items: Sequence[str], total: int | None = None) -> str:
    total = len(items) if total is None else total
    text = ", ".join(items[:SHOWN])
    return text + (f" and {total - SHOWN:,} more" if total > SHOWN else "")


# --- reading -----------------------------------------------------------------------------


def read_labelled_table(path: Path, sep: str = ",") -> LoadedTable:
    """Read CSV (typed per column afterwards) or Parquet (by extension)."""
    if not path.exists():
        raise UserError(f"file not found: {path}")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a file")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if size == 0:
        raise UserError(f"{path} is empty")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise UserError(f"cannot read {path} as Parquet: {exc}") from exc
        if table.num_rows == 0:
            raise UserError(f"{path} has no rows")
        return LoadedTable(as_table(table), _numbered("row", 1))
    return _read_csv(path, sep)


def _read_csv(path: Path, sep: str) -> LoadedTable:
    if len(sep) != 1 or sep in '"\r\n':
        raise UserError(f"--sep must be one character other than a quote or line break: {sep!r}")
    invalid: list[tuple[int | None, str, int, int]] = []

    def skip_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.text, row.expected_columns, row.actual_columns))
        return "skip"

    parse = pacsv.ParseOptions(
        delimiter=sep, invalid_row_handler=skip_invalid, ignore_empty_lines=False
    )
    read = pacsv.ReadOptions(use_threads=False)  # single-threaded: rows keep line numbers
    try:
        with pacsv.open_csv(path, read_options=read, parse_options=parse) as reader:
            names = list(reader.schema.names)
        invalid.clear()
        if len(set(names)) != len(names):
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise UserError(f"{path}: repeated column names in the header: {', '.join(repeated)}")
        table = pacsv.read_csv(
            path,
            read_options=read,
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "Empty CSV file" in message:
            raise UserError(f"{path} is empty") from exc
        if "UTF8" in message or "UTF-8" in message:
            raise UserError(f"{path} is not UTF-8 text: {message}") from exc
        raise UserError(f"cannot read {path} as CSV (separator {sep!r}): {message}") from exc
    if len(names) < 2:
        raise UserError(
            f"{path}: the header has {len(names)} column(s) with separator {sep!r}; is --sep right?"
        )
    if invalid:
        shown = [
            f"line {number}: expected {expected} fields, got {actual}"
            if number is not None
            else f"expected {expected} fields, got {actual}: {text[:60]}"
            for number, text, expected, actual in invalid
        ]
        raise UserError(
            f"{path}: {len(invalid):,} row(s) cannot be parsed with separator {sep!r} "
            f"({_shown(shown, len(invalid))}); fix or remove them"
        )
    # Table row i is line i + 2 (header on line 1, blank lines kept as all-missing rows);
    # drop the all-missing rows after remembering where the others came from.
    blank = np.ones(table.num_rows, dtype=np.bool_)
    for column in table.columns:
        blank &= np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
    kept = np.flatnonzero(~blank)
    if kept.size == 0:
        raise UserError(f"{path} has a header but no data rows")
    typed = pa.table({name: _typed(table.column(name).take(kept)) for name in names})

    def lines(rows: npt.NDArray[np.intp]) -> list[str]:
        return [f"line {int(kept[r]) + 2:,}" for r in rows]

    return LoadedTable(typed, lines)


def _typed(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Numbers if every value is a number, ISO dates/times if every value is one, else text."""
    if column.null_count == len(column):
        return column
    for target in (pa.float64(), pa.timestamp("s")):
        try:
            return pc.cast(column, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return column


# --- the target --------------------------------------------------------------------------


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _target_labels(loaded: LoadedTable, target: str, positive: str, where: str) -> BoolArray:
    column = loaded.table.column(target)
    missing = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
    if missing.any():
        rows = np.flatnonzero(missing)
        raise UserError(
            f"{where}: the target '{target}' is missing in {rows.size:,} row(s) "
            f"({_shown(loaded.row_lines(rows[:SHOWN]), rows.size)}); "
            "remove those rows or fill in the outcome"
        )
    counts = pc.value_counts(column.cast(pa.large_string()))
    seen = sorted(
        zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True),
        key=lambda vc: (-vc[1], vc[0]),
    )
    if len(seen) < 2:
        raise UserError(
            f"{where}: the target '{target}' has one value only ({seen[0][0]!r} in all "
            f"{seen[0][1]:,} rows): there is nothing to predict"
        )
    text = column.cast(pa.large_string())
    wanted = positive.lower() if pa.types.is_boolean(column.type) else positive  # True -> true
    labels = np.asarray(pc.equal(text, wanted).to_numpy(zero_copy_only=False), dtype=np.bool_)
    number = _as_number(positive)
    if not labels.any() and number is not None and _is_numeric(column):
        values = np.asarray(
            column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
        labels = values == number
    if not labels.any():
        listed = ", ".join(f"{value!r} ({count:,})" for value, count in seen[:20])
        more = f" and {len(seen) - 20:,} more" if len(seen) > 20 else ""
        raise UserError(f"{where}: no row has {target} = {positive!r}; values seen: {listed}{more}")
    return labels


def _is_numeric(column: pa.ChunkedArray) -> bool:
    t = column.type
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t))


# --- evaluation --------------------------------------------------------------------------


def evaluate_file(
    path: Path | str,
    target: str,
    positive: str,
    drop: Sequence[str] = (),
    sep: str = ",",
    folds: int = 5,
    seed: int = 0,
    progress: FoldProgress | None = None,
    n_threads: int | None = None,
) -> EvaluationResult:
    """Cross-validate the bank's learner on a labelled file and score the pooled predictions.

    `n_threads` caps the learner's OpenMP threads (see TabularLearner).
    """
    source = Path(path)
    loaded = read_labelled_table(source, sep)
    return evaluate_table(
        loaded, target, positive, drop, folds, seed, progress, str(source), n_threads
    )


def evaluate_table(
    loaded: LoadedTable,
    target: str,
    positive: str,
    drop: Sequence[str] = (),
    folds: int = 5,
    seed: int = 0,
    progress: FoldProgress | None = None,
    where: str = "the table",
    n_threads: int | None = None,
) -> EvaluationResult:
    """Stratified k-fold out-of-fold predictions of TabularLearner, then the metrics."""
    if folds < 2:
        raise UserError(f"cross-validation needs at least 2 folds, not {folds}")
    table = loaded.table
    names = table.column_names
    available = ", ".join(names)
    if target not in names:
        raise UserError(f"{where}: no column named '{target}'; the columns are: {available}")
    unknown = [name for name in drop if name not in names]
    if unknown:
        raise UserError(
            f"{where}: --drop names unknown column(s) {', '.join(unknown)}; "
            f"the columns are: {available}"
        )
    if target in drop:
        raise UserError(f"--drop names the target column '{target}'")
    labels = _target_labels(loaded, target, positive, where)
    positives = int(labels.sum())
    negatives = labels.size - positives
    if min(positives, negatives) < folds:
        which = "positive" if positives < negatives else "negative"
        raise UserError(
            f"{where}: only {min(positives, negatives):,} {which} row(s) ({target} "
            f"{'=' if which == 'positive' else '!='} {positive!r}); {folds}-fold "
            f"cross-validation needs at least {folds}"
        )
    features = table.drop_columns([target, *dict.fromkeys(drop)])
    if features.num_columns == 0:
        raise UserError(f"{where}: no feature columns are left after the target and --drop")

    predicted = np.zeros(labels.size)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for done, (train, test) in enumerate(splitter.split(np.zeros(labels.size), labels), 1):
        learner = TabularLearner(seed=seed, n_threads=n_threads).fit(
            features.take(train), labels[train]
        )
        predicted[test] = learner.predict_proba(features.take(test))
        if progress is not None:
            progress(done, folds)

    return EvaluationResult(
        roc_auc=metrics.roc_auc(labels, predicted),
        pr_auc=metrics.pr_auc(labels, predicted),
        brier=metrics.brier(labels, predicted),
        top_decile_lift=metrics.top_decile_lift(labels, predicted),
        capture_at_50=metrics.capture_at_50(labels, predicted),
        n_rows=int(labels.size),
        positives=positives,
        folds=folds,
        seed=seed,
    )
