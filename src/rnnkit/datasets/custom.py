"""Your own labelled texts from CSV, TSV or JSON Lines files."""

from ..data.custom import load_data, read_labelled_file

__all__ = ["load_data", "read_labelled_file"]
