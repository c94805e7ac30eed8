"""Tables a model cannot read get a clear error that names the problem, not a traceback."""

from __future__ import annotations

import pandas as pd
import pytest

from bankcrm.analytics.tabular_columns import as_table
from bankcrm.kit.errors import UserError


def test_a_frame_arrow_cannot_convert_is_refused_clearly() -> None:
    mixed = pd.DataFrame({"income": [1.5, "high", {"a": 1}]})
    with pytest.raises(UserError, match="cannot use the table"):
        as_table(mixed)


def test_columns_of_different_lengths_are_refused_clearly() -> None:
    with pytest.raises(UserError, match="cannot use the columns"):
        as_table({"a": [1, 2, 3], "b": [1, 2]})


def test_repeated_column_names_are_named() -> None:
    frame = pd.DataFrame([[1, 2]], columns=["x", "x"])
    with pytest.raises(UserError, match="repeated column names: x"):
        as_table(frame)
