"""`bankcrm cases escalate` as a user runs it: a real subprocess on a SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine, make_session_factory
from bankcrm.service_desk.models import Case
from tests import records


def _bankcrm(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BANKCRM_DATABASE_URL": f"sqlite:///{tmp / 'bankcrm.db'}",
        "BANKCRM_LAKE_DIR": str(tmp / "lake"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bankcrm.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp,
    )


def test_cases_escalate_marks_breaches(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bankcrm.db'}")
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        branch = records.branch(session)
        customer = records.customer(session, branch)
        manager = records.user(session, "branch_manager", branch=branch)
        late = records.case(session, customer, due_at=datetime(2026, 3, 1, 11, 0))
        records.case(session, customer, due_at=datetime(2026, 3, 1, 13, 0))
        session.commit()
        late_id, manager_id = late.id, manager.id

    done = _bankcrm(["cases", "escalate", "--now", "2026-03-01T12:00:00"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "escalated 1 case(s)" in done.stdout
    with Session(engine) as session:
        stored = session.get(Case, late_id)
        assert stored is not None and stored.breached and stored.escalated_to_id == manager_id
    again = _bankcrm(["cases", "escalate", "--now", "2026-03-01T12:00:00"], tmp_path)
    assert "escalated 0 case(s)" in again.stdout

    bad = _bankcrm(["cases", "escalate", "--now", "noon"], tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--now" in bad.stderr
    engine.dispose()
