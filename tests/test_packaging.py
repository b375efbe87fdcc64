"""The project installs like a real package: one ``basuracero`` namespace, its data inside it.

A wheel is built from the checkout and pip-installed into a fresh virtual environment (its
dependencies borrowed from the test environment, so nothing is downloaded twice); the demo then
runs from an unrelated directory, where no source tree can be found by accident.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OWN_TOP_LEVEL = {"geodata", "routing", "fleet", "maps", "cli", "api", "service", "data"}
# Absolute paths of one machine: a home or work directory (split so this file does not match).
MACHINE_PATH = re.compile(
    "(?<![\\w.])/(" + "|".join(["ho" + "me", "wo" + "rk", "ro" + "ot", "Us" + "ers"]) + ")/"
)


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def test_no_tracked_file_names_a_machine_path() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip(f"not a git checkout: {ROOT}")
    offenders = []
    for path in _tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary (pbf, bz2) or deleted in the working tree
        for number, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATH.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "absolute machine paths:\n" + "\n".join(offenders)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (path,) = out.glob("basuracero-*.whl")
    return path


def test_wheel_holds_one_namespace_and_the_bundled_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"basuracero"}, top
    for needed in (
        "basuracero/data/florencia-de-mora/fleet.toml",
        "basuracero/data/florencia-de-mora/streets.osm.pbf",
        "basuracero/data/peru/peru_distrital_simple.geojson",
        "basuracero/geodata/truck_speeds.toml",
        "basuracero/maps/templates/sheet.html",
        "basuracero/maps/locale/es/LC_MESSAGES/basuracero.mo",
        "basuracero/service.py",
    ):
        assert needed in names, needed
    assert not any(
        name.startswith(("basuracero/tests/", "basuracero/benchmarks/")) for name in names
    )
    assert any(
        name.startswith("basuracero/maps/static/") and name.endswith(".js") for name in names
    )


def test_installed_wheel_runs_the_demo_from_anywhere(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # Dependencies come from the test environment's site-packages as a plain path entry: its
    # .pth files (and so any editable install of this checkout) are not processed.
    (site / "borrowed_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
    )
    assert not (OWN_TOP_LEVEL & {p.stem for p in site.iterdir()})

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import basuracero.routing, basuracero.data as d; "
            "print(basuracero.routing.__file__); print(d.demo_area())",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(site) for p in where), where

    demo = subprocess.run(
        [
            str(venv / "bin" / "basuracero"),
            "demo",
            "--out",
            "out",
            "--time-limit",
            "5",
            "--no-pdf",
            "--tiles",
            "none",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-3000:]
    out = work / "out"
    plan = json.loads((out / "plan.json").read_text())
    assert plan["routes"] and (out / "coverage_map.html").stat().st_size > 10_000
    assert list((out / "sheets").glob("*.html"))
