"""Presentation outside the rule layer: mail bodies, calendar files, SVG charts, QR codes, Markdown."""
