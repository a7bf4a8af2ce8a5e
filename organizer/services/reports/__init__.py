"""Reports: exports (CSV, XLSX, the audit log) and turnout."""
