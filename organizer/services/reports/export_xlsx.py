"""An export as an XLSX workbook that reads well on screen and on paper.

Unlike the CSV, whose cells a spreadsheet parses (so text that looks like a formula gets the OWASP
apostrophe), every cell here is written with its type: text with ``write_string`` is a string cell,
which no spreadsheet evaluates, so it needs no prefix and shows exactly what the person typed.
Times are real spreadsheet dates in the export's zone, named in the column's header; columns are as
wide as their content; the sheet prints on A4 landscape, one page wide, its header row on every page.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import IO, Any

import xlsxwriter
from flask_babel import gettext as _

from organizer.services.reports.export_files import DATE_COLUMNS, column_keys, export_timezone, local_datetimes, rows
from organizer.services.reports.exports import PreparedExport

A4 = 9  # XlsxWriter's (and Excel's) paper code
MIN_WIDTH, MAX_WIDTH = 8, 50  # in characters of the default font
DATE_WIDTH = 17  # "2030-03-01 19:00" and a little air
DATE_FORMAT = "yyyy-mm-dd hh:mm"


def text_cell(value: str) -> str:
    # NUL is never legitimate text and breaks some readers: keep it visible but harmless.
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def headers(export: PreparedExport) -> list[str]:
    """The header row, each time column naming its zone: "RSVP time (Europe/London)"."""
    zone = export_timezone(export)
    return [
        _("%(column)s (%(zone)s)", column=title, zone=zone) if key in DATE_COLUMNS else str(title)
        for key, title in zip(column_keys(export), export.header, strict=True)
    ]


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return DATE_WIDTH
    text = value if isinstance(value, str) else str(value)
    # A cell with line breaks is as wide as its longest line.
    return max(map(len, text.split("\n"))) if "\n" in text else len(text)


def write_xlsx(export: PreparedExport) -> IO[bytes]:
    """Write the workbook to a temporary file (constant memory: rows go to disk as they come) and
    return it rewound. Text is always written as text, never as a formula, number or link."""
    handle = tempfile.TemporaryFile(prefix="organizer-export-", suffix=".xlsx")  # noqa: SIM115 - the caller closes it
    workbook = xlsxwriter.Workbook(handle, {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "tmpdir": tempfile.gettempdir(),
    })
    try:
        sheet = workbook.add_worksheet(_("Export"))  # the tab name people see
        bold = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
        dated = workbook.add_format({"num_format": DATE_FORMAT, "align": "left"})
        title_row = headers(export)
        # Long headers wrap rather than widen a column of short values (a wide sheet prints small).
        widths = [max([MIN_WIDTH, *map(len, title.split())]) for title in title_row]
        for index, title in enumerate(title_row):
            sheet.write_string(0, index, text_cell(title), bold)
        for row_index, row in enumerate(rows(export, local_datetimes), start=1):
            for column_index, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    value = "yes" if value else "no"  # as in the CSV
                if isinstance(value, datetime):
                    sheet.write_datetime(row_index, column_index, value, dated)
                elif isinstance(value, int | float):
                    sheet.write_number(row_index, column_index, value)
                else:
                    value = text_cell(str(value))
                    sheet.write_string(row_index, column_index, value)
                width = _width(value)
                if width > widths[column_index]:
                    widths[column_index] = width
        for index, width in enumerate(widths):
            sheet.set_column(index, index, min(MAX_WIDTH, width + 2))
        sheet.freeze_panes(1, 0)
        sheet.set_paper(A4)
        sheet.set_landscape()
        sheet.repeat_rows(0)
        sheet.fit_to_pages(1, 0)  # every column on the page's width, as many pages down as needed
        sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        sheet.set_footer("&C&P / &N")
    finally:
        workbook.close()
    handle.seek(0)
    return handle
