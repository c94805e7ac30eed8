"""`bankcrm model evaluate`: real labelled bank data end to end, and every bad input refused
with a message and exit code 2, never a traceback.

The real-data runs are subprocesses of the installed command on one OpenMP thread (two
test workers share two cores). The bad-input cases run in-process through CliRunner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
from typer.testing import CliRunner

from bankcrm.analytics.evaluate import evaluate_file
from bankcrm.cli import app
from bankcrm.kit.errors import UserError
from tests.conftest import datasets_dir


@pytest.fixture(autouse=True)
def one_openmp_thread() -> Iterator[None]:
    """In-process runs share two cores with another test worker: one thread each."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


KEYS = {"roc_auc", "pr_auc", "brier", "top_decile_lift", "capture_at_50", "n_rows"}


def _bankcrm(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("bankcrm")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bankcrm.cli"]
    return subprocess.run(
        [*command, *args],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=cwd,
    )


def _dataset(relative: str) -> Path:
    path = datasets_dir() / relative
    if not path.is_file():
        pytest.skip(f"{path} not found (set BANKCRM_DATASETS)")
    return path


# --- real data -----------------------------------------------------------------------------


@pytest.mark.datasets
def test_bank_churners(tmp_path: Path) -> None:
    path = _dataset("bank_churners/BankChurners.csv")
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    naive_bayes = [c.strip('"') for c in header if c.strip('"').startswith("Naive_Bayes")]
    assert len(naive_bayes) == 2
    drops = [arg for c in ["CLIENTNUM", *naive_bayes] for arg in ("--drop", c)]
    run = _bankcrm(
        [
            *("model", "evaluate", "--data", str(path), "--target", "Attrition_Flag"),
            *("--positive", "Attrited Customer", *drops, "--json"),
        ],
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no warnings, no progress bar off a terminal
    figures = json.loads(run.stdout)
    assert figures.keys() >= KEYS
    assert figures["n_rows"] == 10_127 and figures["positives"] == 1_627
    # Measured (docs/models.md): 0.9921, 0.9646, 0.0226, 6.12, 0.9994.
    assert figures["roc_auc"] > 0.98
    assert figures["pr_auc"] > 0.93
    assert figures["brier"] < 0.03
    assert figures["top_decile_lift"] > 5.8  # the ceiling is 1 / 0.161 = 6.22
    assert figures["capture_at_50"] > 0.99


@pytest.mark.datasets
def test_bank_marketing(tmp_path: Path) -> None:
    path = _dataset("bank_marketing/bank-additional-full.csv")
    run = _bankcrm(
        [
            *("model", "evaluate", "--data", str(path), "--target", "y", "--positive", "yes"),
            *("--drop", "duration", "--sep", ";", "--json"),
        ],
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no warnings, no progress bar off a terminal
    figures = json.loads(run.stdout)
    assert figures.keys() >= KEYS
    assert figures["n_rows"] == 41_188 and figures["positives"] == 4_640
    # Measured (docs/models.md): 0.7990, 0.4644, 0.0770, 4.56, 0.8248.
    assert figures["roc_auc"] > 0.78
    assert figures["pr_auc"] > 0.43
    assert figures["brier"] < 0.08
    assert figures["top_decile_lift"] > 4.2
    assert figures["capture_at_50"] > 0.80


def test_a_real_process_refuses_bad_input_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,y\n1,2,yes\n3,4,5,no\n")
    run = _bankcrm(
        ["model", "evaluate", "--data", str(bad), "--target", "y", "--positive", "yes"], tmp_path
    )
    assert run.returncode == 2
    assert "error:" in run.stderr and "line 3: expected 3 fields, got 4" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


# --- small files through the command ------------------------------------------------------


def _write_history(path: Path, n: int = 60, sep: str = ",") -> None:
    rng = np.random.default_rng(0)
    lines = [sep.join(["age", "segment", "balance", "churned"])]
    for i in range(n):
        churned = "yes" if i % 4 == 0 else "no"
        segment = '"gold, premium"' if i % 3 == 0 else "mass"
        lines.append(sep.join([str(20 + i % 50), segment, f"{rng.normal():.3f}", churned]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["model", "evaluate", *args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output


def test_json_and_table_output(tmp_path: Path) -> None:
    data = tmp_path / "history.csv"
    _write_history(data)
    code, output = _invoke(
        ["--data", str(data), "--target", "churned", "--positive", "yes", "--json"]
    )
    assert code == 0, output
    figures = json.loads(output)
    assert figures.keys() >= KEYS and figures["n_rows"] == 60 and figures["positives"] == 15
    assert all(isinstance(figures[k], float) for k in KEYS - {"n_rows"})

    code, output = _invoke(["--data", str(data), "--target", "churned", "--positive", "yes"])
    assert code == 0, output
    for label in ("ROC AUC", "PR AUC", "Brier", "top-decile lift", "capture at 50%", "rows"):
        assert label in output


def test_tab_separator_and_parquet(tmp_path: Path) -> None:
    tsv = tmp_path / "history.tsv"
    _write_history(tsv, sep="\t")
    code, output = _invoke(
        ["--data", str(tsv), "--target", "churned", "--positive", "yes", "--sep", "\\t", "--json"]
    )
    assert code == 0, output

    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    table = pa.table({"x": x, "left": (x + rng.normal(size=200) > 1).astype(np.int64)})
    pq.write_table(table, tmp_path / "history.parquet")
    result = evaluate_file(tmp_path / "history.parquet", "left", "1")
    assert result.n_rows == 200 and result.positives == int(table.column("left").to_numpy().sum())
    assert result.roc_auc > 0.7
    # "1.0" matches the integer 1 numerically; a boolean target matches True in any case.
    assert evaluate_file(tmp_path / "history.parquet", "left", "1.0") == result
    flags = table.set_column(1, "left", table.column("left").cast(pa.bool_()))
    pq.write_table(flags, tmp_path / "flags.parquet")
    assert evaluate_file(tmp_path / "flags.parquet", "left", "True") == result


BAD_CASES: list[tuple[str, str, list[str], str]] = [
    # (name, file content or a marker, extra args, expected message)
    ("missing file", "<absent>", [], "file not found"),
    ("folder", "<folder>", [], "is a folder"),
    ("empty file", "", [], "is empty"),
    ("header only", "age,segment,churned\n", [], "no data rows"),
    (
        "unknown target",
        "<history>",
        ["--target", "left"],
        "no column named 'left'; the columns are: age, segment, balance, churned",
    ),
    ("unknown drop", "<history>", ["--drop", "nope"], "--drop names unknown column(s) nope"),
    ("drop the target", "<history>", ["--drop", "churned"], "--drop names the target column"),
    (
        "absent positive",
        "<history>",
        ["--positive", "maybe"],
        "no row has churned = 'maybe'; values seen: 'no' (45), 'yes' (15)",
    ),
    ("one class", "age,churned\n1,no\n2,no\n3,no\n", [], "has one value only ('no' in all 3 rows)"),
    (
        "too few positives",
        "age,churned\n" + "".join(f"{i},{'yes' if i < 3 else 'no'}\n" for i in range(40)),
        [],
        "only 3 positive row(s)",
    ),
    (
        "unparseable rows",
        "age,segment,churned\n1,a,yes\n2,b\n3,c,no,extra\n4,d,no\n",
        [],
        "2 row(s) cannot be parsed",
    ),
    (
        "line numbers of bad rows",
        "age,segment,churned\n1,a,yes\n\n2,b\n",
        [],
        "line 4: expected 3 fields, got 2",
    ),
    (
        "missing target",
        "age,churned\n1,yes\n2,\n\n3,no\n4,NA\n",
        [],
        "missing in 2 row(s) (line 3, line 6)",
    ),
    ("wrong separator", "<history;>", [], "is --sep right?"),
    ("bad separator option", "<history>", ["--sep", "::"], "--sep must be one character"),
    ("not UTF-8", "age,segment,churned\n1,caf\xe9,yes\n", [], "not UTF-8"),
    ("broken parquet", "<parquet>", [], "cannot read"),
    (
        "no features left",
        "age,churned\n" + "".join(f"{i},{'yes' if i % 2 else 'no'}\n" for i in range(20)),
        ["--drop", "age"],
        "no feature columns",
    ),
]


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [case[1:] for case in BAD_CASES],
    ids=[case[0] for case in BAD_CASES],
)
def test_bad_input_is_refused_clearly(
    tmp_path: Path, content: str, extra: list[str], message: str
) -> None:
    data = tmp_path / "history.csv"
    if content == "<folder>":
        data.mkdir()
    elif content == "<history>":
        _write_history(data)
    elif content == "<history;>":
        _write_history(data, sep=";")
    elif content == "<parquet>":
        data = tmp_path / "history.parquet"
        data.write_bytes(b"PAR1 this is not parquet")
    elif "\xe9" in content:
        data.write_bytes(content.encode("latin-1"))
    elif content != "<absent>":
        data.write_text(content, encoding="utf-8")
    pairs = list(zip(extra[::2], extra[1::2], strict=True))
    options = {"--target": "churned", "--positive": "yes"}
    options.update((option, value) for option, value in pairs if option != "--drop")
    argv = ["--data", str(data)] + [token for pair in options.items() for token in pair]
    argv += [token for pair in pairs if pair[0] == "--drop" for token in pair]
    code, output = _invoke(argv)
    assert code == 2, output
    assert output.startswith("error: ")
    assert message in output
    assert "Traceback" not in output


def test_library_errors_are_user_errors(tmp_path: Path) -> None:
    data = tmp_path / "history.csv"
    _write_history(data)
    with pytest.raises(UserError, match="at least 2 folds"):
        evaluate_file(data, "churned", "yes", folds=1)
