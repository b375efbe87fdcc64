"""Bundled data shipped inside the package: service areas and Peru's district boundaries.

Read through :func:`bundled`, never relative to a source checkout, so the demo, ``plan`` and
``serve`` work the same from a wheel installed anywhere.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DEMO_AREA = "florencia-de-mora"


def bundled(*parts: str) -> Path:
    """Path of a bundled data file or folder, e.g. ``bundled("florencia-de-mora", "fleet.toml")``.

    Installed packages are unpacked on disk (pip never runs them from a zip), and the readers
    (pyosmium, pyogrio) need real paths, so the resource is returned as a plain ``Path``.
    """
    return Path(str(files(__name__).joinpath(*parts)))


def demo_area() -> Path:
    """Folder of the demo's service area (Florencia de Mora, Trujillo)."""
    return bundled(DEMO_AREA)
