"""``symderiv notes``: the course notes, with every section's options under its own prefix.

The options are generated from the layer commands: conv2d's ``--input`` becomes
``--conv2d-input`` and so on, so a layer's notes section takes exactly the options of its own
command. Giving an option for a section that ``--sections`` leaves out is an error, not silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from ..core.errors import SymderivError
from ..core.family import Command, Registry
from ..render.formats import EXTENSIONS
from ..render.sections import available, choose, course
from .figure_options import check_figures
from .options import click_option, output_options
from .output import write_document


@dataclass(frozen=True)
class SectionOption:
    section: str
    original: str
    """The keyword the layer's derive function takes."""
    option: click.Option


def _section_options(command: Command) -> list[SectionOption]:
    """A layer command's options, renamed ``--SECTION-NAME``."""
    return [
        SectionOption(command.name, o.name, click_option(o, prefix=command.name))
        for o in command.options
    ]


def notes_command(registry: Registry) -> click.Command:
    offered = available(registry)
    section_options = [o for c in offered for o in _section_options(c)]
    by_name = {o.option.name: o for o in section_options}
    names = ", ".join(c.name for c in offered)

    def run(
        fmt: str,
        lang: str,
        standalone: bool,
        output: Path | None,
        figures: bool | None,
        output_dir: Path | None,
        sections: str | None,
        max_work: float,
        **options: Any,
    ) -> None:
        if standalone and fmt != "latex":
            raise click.BadParameter("only applies to --format latex", param_hint="--standalone")
        requested = [s.strip() for s in sections.split(",")] if sections is not None else None
        try:
            chosen = choose(
                registry,
                requested if requested is not None else [c.name for c in course(registry)],
            )
        except SymderivError as error:
            raise click.BadParameter(
                str(error).removeprefix("--sections: "), param_hint="--sections"
            ) from None
        _refuse_options_of_left_out_sections(options, by_name, {c.name for c in chosen})
        with_figures = _figures_wanted(figures, fmt, output, output_dir)
        check_figures(fmt, with_figures, output, output_dir)
        _check_total_work(chosen, options, by_name, max_work)
        from ..render import notes  # the renderer loads Jinja: only once there is work
        from ..theorems import theorems_of
        from ..theorems.result import as_data

        parts = [
            notes.Part(
                c.name,
                c.derive(**_section_keywords(c, options, by_name)),
                c.torch_backward,
                c.variant_of,
                tuple(as_data(n, t, proofs=False) for n, t in theorems_of(c.theorems)),
            )
            for c in chosen
        ]
        stem = output.stem if output is not None else "notes"
        document = notes.assemble(parts, fmt, lang, standalone, with_figures, stem)
        write_document(document, output, output_dir, f"notes.{EXTENSIONS[fmt]}")
        if figures is None and not with_figures and fmt == "md":
            click.echo(LEFT_OUT, err=True)

    command = click.Command(
        "notes",
        callback=run,
        help="Course notes: the chain-rule primer and a section per layer in one article, with "
        "a table of contents, numbered equations, figures and a summary of the identities."
        f"\n\nSections: {names}. Each section takes its layer's options, prefixed with its "
        "name (--conv2d-input 4x4); --help-sections lists them.",
        short_help="Course notes: the primer and a section per layer",
    )
    own = [
        click.Option(
            ["--sections"],
            help=f"Comma-separated sections, from: {names}; or all. Default: the course "
            f"({', '.join(c.name for c in course(registry))}); the chain rule comes first.",
        ),
        click.Option(
            ["--figures/--no-figures"],
            default=None,
            help="Figures (default: on, except for Markdown on standard output, where they "
            "cannot be written as files).",
        ),
        click.Option(
            ["--output-dir"],
            type=click.Path(file_okay=False, path_type=Path),
            help="Write notes.md (or .tex, .json) and its figures into this directory "
            "(created if missing): all files or none.",
        ),
        click.Option(
            ["--max-work"],
            type=click.FloatRange(min=0, min_open=True, max=1e6),
            default=DEFAULT_MAX_WORK,
            show_default=True,
            help="Refuse notes whose sections add up to more work than this many "
            "default-sized derivations (one is about ten seconds here).",
        ),
    ]

    def list_sections(context: click.Context, _: click.Parameter, value: bool) -> None:
        if not value or context.resilient_parsing:
            return
        formatter = context.make_formatter()
        for section in offered:
            rows = []
            for o in section_options:
                if o.section == section.name:
                    o.option.hidden = False  # hidden from --help only
                    record = o.option.get_help_record(context)
                    o.option.hidden = True
                    if record is not None:
                        rows.append(record)
            if rows:
                with formatter.section(f"Options of section {section.name}"):
                    formatter.write_dl(rows)
        click.echo(formatter.getvalue(), nl=False)
        context.exit()

    own.append(
        click.Option(
            ["--help-sections"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=list_sections,
            help="List every section's options (prefixed with its name) and exit.",
        )
    )
    for option in section_options:
        option.option.hidden = True  # listed by --help-sections, so that --help fits a screen
    command.params = [*output_options(), *own, *(o.option for o in section_options)]
    return command


DEFAULT_MAX_WORK = 1.5
"""Sections of the default notes add up to about 0.05; three sections each just under their
own limit would be 3."""


def _check_total_work(
    chosen: tuple[Command, ...],
    options: dict[str, Any],
    by_name: dict[str, SectionOption],
    limit: float,
) -> None:
    """Every section's work, in constant time from its sizes, added up before any derivation."""
    shares = [(c.name, c.cost(**_options_of(c.name, options, by_name))) for c in chosen]
    total = sum(share for _, share in shares)
    if total > limit:
        largest = sorted(shares, key=lambda s: -s[1])[:3]
        named = ", ".join(f"{name} {share:.2f}" for name, share in largest)
        raise SymderivError(
            f"the sections add up to {total:.2f} default-sized derivations of work ({named}), "
            f"over the limit of {limit:g}; raise it with --max-work"
        )


def _refuse_options_of_left_out_sections(
    options: dict[str, Any], by_name: dict[str, SectionOption], chosen: set[str]
) -> None:
    """An option given for a section that is not in the notes is a mistake worth naming."""
    context = click.get_current_context()
    for name in options:
        entry = by_name[name]
        given = context.get_parameter_source(name) in (
            ParameterSource.COMMANDLINE,
            ParameterSource.ENVIRONMENT,
        )
        if given and entry.section not in chosen:
            raise click.BadParameter(
                f"is for section {entry.section!r}, which --sections leaves out",
                param_hint=entry.option.opts[0],
            )


def _options_of(
    section: str, options: dict[str, Any], by_name: dict[str, SectionOption]
) -> dict[str, Any]:
    """The keyword arguments of one section's derive function, under their own names."""
    return {by_name[n].original: v for n, v in options.items() if by_name[n].section == section}


def _section_keywords(
    command: Command, options: dict[str, Any], by_name: dict[str, SectionOption]
) -> dict[str, Any]:
    """A section's keywords, with the notes' own defaults where the reader left one unset."""
    keywords = _options_of(command.name, options, by_name)
    for name, value in command.notes_defaults:
        if keywords.get(name) is None:
            keywords[name] = value
    return keywords


def _figures_wanted(
    figures: bool | None, fmt: str, output: Path | None, output_dir: Path | None
) -> bool:
    if figures is not None:
        return figures
    if fmt == "json":
        return False
    return not (fmt == "md" and output is None and output_dir is None)


LEFT_OUT = (
    "symderiv: note: figures left out: Markdown figures are SVG files; give -o FILE or "
    "--output-dir DIR to have them written beside the notes"
)
