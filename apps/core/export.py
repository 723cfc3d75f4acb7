"""Helpers shared by CSV exports."""

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_csv_cell(value: object) -> str:
    """Spreadsheets run cells that start like a formula; prefix them so they stay text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text
