"""The output formats and languages, and the file extension of each format: names only, so
that the command line can offer them without loading the renderer."""

from __future__ import annotations

FORMATS = ("md", "latex", "json", "html")
LANGUAGES = ("en", "zh")
EXTENSIONS = {"md": "md", "latex": "tex", "json": "json", "html": "html"}
FRAMES = ("page", "fragment", "bare")
"""HTML's: a whole page; a fragment that carries its assets (a notebook's output); a fragment
without them, for a host that loads them once (a Sphinx site)."""
