"""The image's build steps (scripts/build-image, which the Dockerfile runs) work on a clean
copy of the repository with production settings and no database: this machine has no
Docker engine, so the test runs the same script in a temporary directory."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """What the Docker build context holds: tracked files, less what .dockerignore drops."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file() and not name.startswith((b"reports/", b".git")):
            target = tmp_path / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return tmp_path


def build_step(checkout: Path, step: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    env["PY"] = sys.executable  # the installed dependencies stand for the image's venv
    return subprocess.run(
        ["scripts/build-image", step], cwd=checkout, env=env, capture_output=True, text=True
    )


def test_the_image_steps_collect_static_and_pass_the_deploy_checks(checkout: Path) -> None:
    static = build_step(checkout, "static")
    assert static.returncode == 0, static.stderr
    assert (checkout / ".run" / "static" / "admin" / "css" / "base.css").exists()
    check = build_step(checkout, "check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".run", ".git"} <= set(ignored)
    dockerfile = (ROOT / "Dockerfile").read_text()
    for step in ("install", "static", "check"):
        assert f"scripts/build-image {step}" in dockerfile
    final_stage = dockerfile.rsplit("FROM ", 1)[1]
    assert "build-essential" not in final_stage and "USER app" in final_stage
    assert "HEALTHCHECK" in final_stage and "$WEB_WORKERS" in final_stage
