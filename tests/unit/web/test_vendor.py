"""The vendored browser assets are the files VERSIONS.md names, byte for byte."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from bankcrm.web.pages import WEB

VENDOR = WEB / "static" / "vendor"
ROW = re.compile(r"^\| (\S+) \| (\S+) \| (\S+) \| (\S+) \| `([0-9a-f]{64})` \|$")


def _rows() -> list[tuple[str, ...]]:
    text = (VENDOR / "VERSIONS.md").read_text()
    return [m.groups() for line in text.splitlines() if (m := ROW.match(line))]


def test_versions_lists_every_file_with_its_hash() -> None:
    rows = _rows()
    files = {p.name for p in VENDOR.iterdir() if p.is_file() and p.name != "VERSIONS.md"}
    assert {r[0] for r in rows} == files
    for name, _package, _version, _licence, sha256 in rows:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == sha256, name
        assert (VENDOR / "licenses" / f"{name}.txt").stat().st_size > 0


def test_pinned_major_versions() -> None:
    """htmx 2.0.x and ECharts 5.x are what the pages are written against."""
    versions = {r[1]: r[2] for r in _rows()}
    assert versions["htmx.org"].startswith("2.0.")
    assert versions["echarts"].startswith("5.")
    assert versions["@picocss/pico"].startswith("2.")
    assert (VENDOR / "htmx.min.js").read_text().count('version:"2.0.') == 1
    script = Path(__file__).resolve().parents[3] / "scripts" / "vendor.sh"
    assert f"HTMX_VERSION={versions['htmx.org']}" in script.read_text()
