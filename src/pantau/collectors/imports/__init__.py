"""Activities that do not come from a collector: analysts' exports and public reports.

- `import_activities` (`activities.py`): CSV/XLSX/JSONL exports of platforms without a free
  API, read through a column mapping (`mapping.py`, examples in ``config/mappings/``);
- `add_report` / `import_reports` (`reports.py`): public reports with an optional screenshot.

Both archive what they were given as evidence and write in one transaction.
"""

from .activities import ActivityImportReport, import_activities
from .mapping import FIELDS, Mapping, load_mapping
from .reports import PublicReport, ReportImportReport, add_report, import_reports

__all__ = [
    "FIELDS", "ActivityImportReport", "Mapping", "PublicReport", "ReportImportReport",
    "add_report", "import_activities", "import_reports", "load_mapping",
]
