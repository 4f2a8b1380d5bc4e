"""The output formats and languages, and the file extension of each format: names only, so
that the command line can offer them without loading the renderer."""

from __future__ import annotations

FORMATS = ("md", "latex", "json")
LANGUAGES = ("en", "zh")
EXTENSIONS = {"md": "md", "latex": "tex", "json": "json"}
