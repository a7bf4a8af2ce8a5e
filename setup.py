"""Build step for the wheel: the app's data files travel inside the package.

The source tree keeps ``templates/`` and ``migrations/`` at the top level (the project's layout). A wheel
can only carry files inside its packages, so ``build_py`` copies both into ``organizer/`` in the build
directory, and compiles ``organizer/translations/*/LC_MESSAGES/*.po`` to ``.mo`` (never committed).
``organizer.paths`` finds the packaged copies when installed and the top-level ones in a checkout.
Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
COPIED_INTO_PACKAGE = ("templates", "migrations")


def compile_translations(translations: Path, target: Path) -> list[str]:
    """Each messages.po below ``translations`` as a .mo at the same place below ``target``."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(translations.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(translations).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            # Fuzzy entries are guesses a translator has not confirmed: shown in English instead.
            write_mo(mo_file, catalog, use_fuzzy=False)
        written.append(str(mo_path))
    return written


class BuildWithAppData(build_py):
    def run(self) -> None:
        super().run()
        translations = ROOT / "organizer" / "translations"
        if self.editable_mode:
            # An editable install reads everything from the checkout: only the .mo files are missing there.
            compile_translations(translations, translations)
            return
        package = Path(self.build_lib) / "organizer"
        for name in COPIED_INTO_PACKAGE:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"{source} is missing: the wheel would ship without it")
            shutil.copytree(source, package / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        compile_translations(translations, package / "translations")


setup(cmdclass={"build_py": BuildWithAppData})
