"""Where the app's data lives: in a checkout, or inside the installed package.

A checkout keeps ``templates/`` and ``migrations/`` beside ``organizer/``; the wheel's build step
(setup.py) copies them into the package, since a wheel can only ship files inside its packages.
The packaged copy exists only in an installed wheel, so its presence decides.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"


def is_packaged(name: str) -> bool:
    return (PACKAGE_DIR / name).is_dir()


def data_dir(name: str) -> Path:
    """``templates`` or ``migrations``: the packaged copy when installed, else the checkout's top-level folder."""
    return PACKAGE_DIR / name if is_packaged(name) else PACKAGE_DIR.parent / name
