"""The XLSX export printed as LibreOffice prints it: A4 landscape, every column on the page (issue 13
point 6). Debian's libreoffice-calc-nogui and poppler-utils, installed by `make libreoffice`."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime

import pytest

from organizer.services.reports import export_spec, export_xlsx, exports
from tests import builders

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFINFO, PDFTOTEXT = shutil.which("pdfinfo"), shutil.which("pdftotext")

if not (SOFFICE and PDFINFO and PDFTOTEXT):
    if os.environ.get("CI") == "true":
        pytest.fail("LibreOffice or poppler-utils is missing: run `make libreoffice` as root", pytrace=False)
    pytest.skip("!!! LibreOffice (soffice) or poppler-utils missing: run `make libreoffice` as root !!!",
                allow_module_level=True)


def to_pdf(xlsx_path, tmp_path):
    # A profile of its own: another soffice running on the machine would otherwise take the request.
    profile = (tmp_path / "profile").as_uri()
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(xlsx_path)], check=True, capture_output=True, timeout=240)
    return xlsx_path.with_suffix(".pdf")


def test_a_wide_export_prints_on_a4_landscape_with_no_column_cut(tmp_path):
    owner = builders.make_user("owner@example.org")
    campaign = builders.make_campaign(owner=owner)
    event = builders.make_event(campaign, slug="wide", starts_at=datetime(2030, 7, 1, 18, 0))
    for index in range(120):  # several pages down: the header must be on each
        builders.make_rsvp(event, name=f"Maria-Fernanda de los Santos Ocampo {index:03d}",
                           email=f"person.with.a.long.address.{index}@example.org", phone="+44 20 7946 0000",
                           guests=index % 3, created_at=datetime(2030, 6, 20, 17, index % 60))
    spec = export_spec.make_spec(campaign, event=event, statuses=["going"], checked_in="any", consent_only=False,
                                 columns=list(export_spec.EVENT_COLUMNS), file_format="xlsx")
    export = exports.start(campaign, owner, spec)
    header = export_xlsx.headers(export)
    xlsx_path = tmp_path / "attendees.xlsx"
    with export_xlsx.write_xlsx(export) as handle:
        xlsx_path.write_bytes(handle.read())

    pdf = to_pdf(xlsx_path, tmp_path)
    info = subprocess.run([PDFINFO, str(pdf)], check=True, capture_output=True, text=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    width, height = (float(part) for part in fields["Page size"].split("pts")[0].split(" x "))
    assert (round(width), round(height)) == (842, 595), info  # A4 (297 × 210 mm) on its side
    pages = int(fields["Pages"])
    assert pages >= 2
    for page in (1, pages):  # the header row is repeated on every page
        text = subprocess.run([PDFTOTEXT, "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                              check=True, capture_output=True, text=True).stdout
        flat = " ".join(text.split())
        for title in header:
            words = title.split()
            # A long header wraps inside its cell: each of its words is on the page.
            assert all(word in flat for word in words), f"{title!r} missing on page {page}"
    first = subprocess.run([PDFTOTEXT, "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                           check=True, capture_output=True, text=True).stdout
    # The widest cells are whole on the first page: nothing was cut at the page's right edge.
    assert "person.with.a.long.address.0@example.org" in first
    assert "2030-06-20 18:00" in first
