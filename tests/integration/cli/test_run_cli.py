"""`bankcrm run` as `make run` calls it (without its last step, serving): a demo bank made,
imported and scored once, reused later, and one working demo login per role."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bankcrm.analytics.models import ScoreRun
from bankcrm.config import Settings
from bankcrm.duplicates.models import DuplicateCandidate
from bankcrm.interactions.models import Task
from bankcrm.kit.db import make_engine
from bankcrm.security import service
from bankcrm.security.models import User
from bankcrm.security.roles import Role


def _run(tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BANKCRM_DATABASE_URL": f"sqlite:///{tmp / 'var' / 'bankcrm.db'}",
        "BANKCRM_LAKE_DIR": str(tmp / "var" / "lake"),
        "BANKCRM_SECRET_KEY_FILE": str(tmp / "var" / "secret.key"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bankcrm.cli", "run", "--no-serve", "--customers", "300"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp,
    )


@pytest.mark.slow
def test_run_makes_the_demo_bank_once_and_a_login_per_role(tmp_path: Path) -> None:
    first = _run(tmp_path)
    assert first.returncode == 0, first.stderr
    logins_file = tmp_path / "var" / "demo-logins.json"
    assert stat.S_IMODE(logins_file.stat().st_mode) == 0o600
    passwords: dict[str, str] = json.loads(logins_file.read_text())
    assert set(passwords) == {"demo-" + r.value.replace("_", "-") for r in Role}
    for username, password in passwords.items():
        assert username in first.stdout and password in first.stdout  # printed for the user

    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'bankcrm.db'}")
    settings = Settings(database_url="sqlite://", lake_dir=tmp_path / "var" / "lake")
    with Session(engine) as session:
        assert len(session.scalars(select(ScoreRun.as_of).distinct()).all()) == 2
        tasks = session.scalar(select(func.count()).select_from(Task))
        assert tasks and tasks > 0
        # The generator plants second customer numbers; the run finds them.
        candidates = session.scalar(select(func.count()).select_from(DuplicateCandidate))
        assert candidates and candidates > 0
        for username, password in passwords.items():
            user = service.login(session, settings, username, password, "127.0.0.1")
            assert user.username == username
        manager = session.scalars(select(User).where(User.username == "demo-account-manager"))
        assert manager.one().staff_id is not None  # the account manager has a portfolio
        runs_before = session.scalar(select(func.count()).select_from(ScoreRun))

    second = _run(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "reusing the scored demo bank" in second.stdout
    assert json.loads(logins_file.read_text()) == passwords  # same logins, not new ones
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ScoreRun)) == runs_before
    engine.dispose()
