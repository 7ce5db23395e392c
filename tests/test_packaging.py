"""Packaging and entry points: the wheel carries its data, the CLI starts light."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.slow
def test_installed_wheel_finds_its_workflows(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = run(
        sys.executable,
        "-m",
        "build",
        "--wheel",
        "--no-isolation",
        "--outdir",
        str(dist),
        str(ROOT),
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = dist.glob("bvflow-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "bvflow/_data/workflows/best-value.yaml" in names
    assert "bvflow/_data/competencies/best-value-competencies.yaml" in names
    assert "bvflow/_data/notifications/README.md" in names
    assert "bvflow/store/migrations/versions/0001_initial_schema.py" in names
    assert "bvflow/py.typed" in names

    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", str(venv), cwd=tmp_path).returncode == 0
    target = next((venv / "lib").glob("python*/site-packages"))
    # Dependencies come from this environment; bvflow itself only from the wheel.
    (target / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = run(
        str(venv / "bin" / "pip"), "install", "--no-deps", "--no-index", str(wheel), cwd=tmp_path
    )
    assert installed.returncode == 0, installed.stderr[-2000:]

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BVFLOW_", "PYTHON"))}
    listed = run(str(venv / "bin" / "bvflow"), "workflow", "list", cwd=empty, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "best-value" in listed.stdout
    assert str(target / "bvflow" / "_data" / "workflows" / "best-value.yaml") in listed.stdout
    demo = run(
        str(venv / "bin" / "bvflow"), "demo", "--dir", str(empty / "demo"), cwd=empty, env=env
    )
    assert demo.returncode == 0, demo.stderr
    assert "audit verify: intact" in demo.stdout
    frameworks = run(str(venv / "bin" / "bvflow"), "--db", str(empty / "demo" / "bvflow.db"),
                     "competency", "frameworks", cwd=empty, env=env)
    assert frameworks.returncode == 0, frameworks.stderr
    assert "best-value-competencies  7" in frameworks.stdout


def test_help_does_not_import_the_database_layer(tmp_path: Path) -> None:
    code = (
        "import sys; from bvflow.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'apscheduler', 'jinja2')"
        " if m in sys.modules]\nprint('HEAVY', heavy)"
    )
    result = run(sys.executable, "-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("HEAVY []")
    assert "Exit codes: 0 ok" in result.stdout


@pytest.mark.parametrize(
    "launcher",
    [
        [sys.executable, "-m", "bvflow"],
        [sys.executable, str(ROOT / "cli.py")],
        [str(Path(sys.executable).parent / "bvflow")],
    ],
    ids=["python-m", "cli-shim", "console-script"],
)
def test_entry_points(launcher: list[str], tmp_path: Path) -> None:
    result = run(*launcher, "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bvflow, version ")


def test_demo_runs_from_an_empty_directory(tmp_path: Path) -> None:
    result = run(sys.executable, "-m", "bvflow", "demo", "--dir", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "refused (exit 4)" in out
    assert "the discussion period has run 2 of 10 clear working days" in out
    assert "an audited override: challenge -> compare" in out
    assert "audit verify: intact" in out
    db = tmp_path / "d" / "bvflow.db"
    assert f"The demo database is {db}" in out
    shown = run(
        sys.executable,
        "-m",
        "bvflow",
        "--db",
        str(db),
        "audit",
        "log",
        "--action",
        "review.timetable_overridden",
        "--json",
        cwd=tmp_path,
    )
    assert "Members agreed to shorten" in shown.stdout
