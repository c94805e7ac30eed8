"""`bankcrm users create` and `bankcrm serve` as an operator runs them: real processes, a
real socket on 127.0.0.1, a real log-in and a customer read over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import factories as f

PASSWORD = "a long passphrase here"


def _env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "BANKCRM_DATABASE_URL": f"sqlite:///{tmp / 'var' / 'bankcrm.db'}",
        "BANKCRM_LAKE_DIR": str(tmp / "var" / "lake"),
        "BANKCRM_SECRET_KEY_FILE": str(tmp / "var" / "secret.key"),
    }


def _bankcrm(args: list[str], tmp: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bankcrm.cli", *args],
        env=_env(tmp),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp,
    )


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    extract = f.small_bank(customers=2).write(tmp_path / "extract")
    result = _bankcrm(["import", str(extract)], tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "wizard"], PASSWORD, "role 'wizard' is not one of"),
        (["--role", "analyst"], "short", "password: at least 12 characters"),
        (["--role", "account_manager"], PASSWORD, "needs --staff-id"),
        (["--role", "account_manager", "--staff-id", "S9999"], PASSWORD, "no staff member"),
        (["--role", "branch_manager", "--branch", "B404"], PASSWORD, "no branch with"),
    ],
)
def test_user_mistakes_get_a_clear_error(
    imported: Path, args: list[str], stdin: str, message: str
) -> None:
    result = _bankcrm(
        ["users", "create", "--username", "ada", *args, "--password-stdin"], imported, stdin
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_password_only_on_standard_input(imported: Path) -> None:
    result = _bankcrm(["users", "create", "--username", "ada", "--role", "analyst"], imported)
    assert result.returncode == 2 and "--password-stdin" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(imported: Path) -> Iterator[str]:
    port = _free_port()
    log = imported / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bankcrm.cli", "serve", "--port", str(port)],
            env={**_env(imported), "BANKCRM_SECURE_COOKIES": "false"},
            cwd=imported,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/openapi.json", timeout=1).close()
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail(f"the server did not start: {log.read_text()}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _call(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_a_branch_manager_logs_in_and_reads_a_customer_over_http(
    imported: Path, server: str
) -> None:
    created = _bankcrm(
        [
            "users",
            "create",
            "--username",
            "ada",
            "--role",
            "branch_manager",
            "--branch",
            "B001",
            "--password-stdin",
        ],
        imported,
        PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    status, body = _call(
        "POST", f"{server}/api/v1/auth/token", {"username": "ada", "password": "wrong"}
    )
    assert status == 401 and body["detail"] == "wrong username or password"
    status, body = _call(
        "POST", f"{server}/api/v1/auth/token", {"username": "ada", "password": PASSWORD}
    )
    assert status == 200, body
    token = body["access_token"]
    status, page = _call("GET", f"{server}/api/v1/customers?sort=customer_no", token=token)
    assert status == 200 and page["total"] == 2
    first = page["items"][0]
    assert first["reference"] == "C000001"
    status, customer = _call("GET", f"{server}/api/v1/customers/{first['id']}", token=token)
    assert status == 200
    assert customer["profile"]["national_id"] == "800101/0001"
    assert [t["amount"] for t in customer["recent_transactions"]][:1] == ["100.00"]
    assert customer["holdings"][0]["account_no"] == "A000001"
    status, _ = _call("GET", f"{server}/api/v1/customers/{first['id']}")
    assert status == 401
