"""govcheck command line: parse options, make one engine call, map the outcome to an exit code.

Exit codes (the product contract): 0 no violation at or above ``--fail-on``; 1 violations
found; 2 bad input or a bad rule, with a message naming the file and the line/column or
row, never a traceback. The report goes to stdout or ``-o``; diagnostics go to stderr.
"""
from __future__ import annotations

import gc
import gettext
import os
import sys
from pathlib import Path

import click

if not __package__ and "govcheck" not in sys.modules:
    # `python cli.py` from a checkout: the checkout is the package `govcheck`, as installed
    import importlib.machinery
    import importlib.util
    _spec = importlib.machinery.ModuleSpec("govcheck", None, is_package=True)
    _spec.submodule_search_locations = [str(Path(__file__).resolve().parent)]
    sys.modules["govcheck"] = importlib.util.module_from_spec(_spec)

from govcheck.engine import i18n  # noqa: E402
from govcheck.engine.errors import (  # noqa: E402
    GovcheckError, RuleErrors, SourceLocation, located)
from govcheck.engine.i18n import marked as N_, translate as _, translate_plural as ngettext  # noqa: E402
from govcheck.engine.render import FORMATS  # noqa: E402
from govcheck.engine.render.text import display_width, wrap  # noqa: E402
from govcheck.engine.resources import data_dir  # noqa: E402


def _language_asked(argv: list[str]) -> str | None:
    """The ``--lang`` of a command line, read before click parses it: click takes the help
    texts below when this module is imported, so their language must be known by then.
    Only the options before the command's name are the group's."""
    for at, arg in enumerate(argv):
        if arg == "--lang":
            return argv[at + 1] if at + 1 < len(argv) else None
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
        if not arg.startswith("-"):
            return None
    return None


def _speak(language: str) -> None:
    """Every message in ``language``: govcheck's (``i18n.use``) and click's own ("Error:",
    "No such option", "Missing argument", "[default: …]", "Aborted!"…). Click looks its words
    up with the standard library's global ``gettext.gettext``, so, as GNU gettext has a program
    do, the global domain is govcheck's one catalog (which holds click's messages too:
    docs/translation.md) and the language is the one GNU gettext reads first, ``LANGUAGE``.
    Only the command line does this: the engine, a library too, leaves global state alone."""
    i18n.use(language)
    gettext.bindtextdomain(i18n.DOMAIN, str(data_dir("locale")))
    gettext.textdomain(i18n.DOMAIN)
    os.environ["LANGUAGE"] = i18n.LANGUAGES[language] or language


_speak(i18n.understood(_language_asked(sys.argv[1:])) or i18n.from_environment())

#: What click translates with gettext but does not mark for extraction (``[required]`` on a
#: help page): marked here, so that the catalog has it.
CLICK_UNMARKED = (N_("required"),)

#: click's messages that no govcheck user meets, left out of the catalog by
#: ``click_messages``: how a program declares its options, prompts, editors, pagers, shell
#: completion, deprecation, Windows consoles, and the types and options govcheck does not use.
CLICK_UNSEEN = frozenset({
    "d", "{editor}: Editing failed", "{editor}: Editing failed: {e}", "Windows error: {error}",
    "deprecated", "Positional arguments",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}",
    "Value must be an iterable.", "Takes {nargs} values but 1 was given.",
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument "
    "instead? Did you mean to pass '--{name}'?",
    "env var: {var}", "(dynamic)",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Do you want to continue?", "Confirm the action without prompting.",
    "%(prog)s, version %(version)s", "unknown error", "Could not open file {filename!r}: {message}",
    "Invalid start character for option ({option})", "Argument {name!r} takes {nargs} values.",
    "Shell completion is not supported for Bash versions older than 4.4.",
    "Couldn't detect Bash version, shell completion is not supported.",
    "Repeat for confirmation", "Error: The two entered values do not match.",
    "Error: invalid input", "Unknown color {colour!r}", "Press any key to continue...",
    "Choose from:\n\t{choices}", "Choice({choices})",
    "{value!r} is not a valid boolean. Recognized values: {states}",
    "{value!r} is not a valid UUID.", "{value!r} does not match the format {format}.",
    "{len_type} values are required, but {len_value} was given.",
    "{name} {filename!r} is not writable.", "{name} {filename!r} is not executable.",
    "Unknown standard stream '{name}'",
})


def click_messages(fileobj, keywords, comment_tags, options):
    """Babel's extractor for click's source (babel.cfg): its Python extractor, less what no
    govcheck user sees (``CLICK_UNSEEN``). So the catalog takes click's own words from the
    click installed, exactly as click writes them (docs/translation.md)."""
    from babel.messages.extract import extract_python

    for found in extract_python(fileobj, keywords, comment_tags, options):
        message = found[2]
        if (message[0] if isinstance(message, tuple) else message) not in CLICK_UNSEEN:
            yield found


class BadInput(click.ClickException):
    """A bad log, rule, mapping or calendar: exit 2, the message already names the place."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def _fail(exc: GovcheckError) -> BadInput:
    if isinstance(exc, RuleErrors):
        return BadInput("\n".join(str(e) for e in exc.errors))
    return BadInput(str(exc))


class _Formatter(click.HelpFormatter):
    """A help page laid out in terminal columns. click counts a Chinese character as one
    column where a terminal gives it two, so a Chinese page ran past the terminal's edge
    and its second column fell out of line; a page of narrow characters is click's own."""

    def write_text(self, text: str) -> None:
        if display_width(text) == len(text):
            return super().write_text(text)
        margin = " " * self.current_indent
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        self.write("\n".join("".join(f"{margin}{line}\n" for line in
                                     wrap(p, self.width - self.current_indent))
                             for p in paragraphs))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(first, second) for first, second in rows]
        if all(display_width(a + b) == len(a + b) for a, b in rows):
            return super().write_dl(rows, col_max, col_spacing)
        first_col = min(max(display_width(first) for first, _text in rows), col_max) + col_spacing
        margin = " " * (first_col + self.current_indent)
        for first, second in rows:
            lines = wrap(second, max(self.width - first_col - 2, 10))
            gap = first_col - display_width(first)
            if lines and gap >= col_spacing:    # the text beside the term, else below it
                lines[0] = " " * gap + lines[0]
            else:
                lines.insert(0, "")
            self.write(" " * self.current_indent + first + f"\n{margin}".join(lines) + "\n")


class _Context(click.Context):
    formatter_class = _Formatter


class _Command(click.Command):
    """A govcheck command: its help page laid out for Chinese too."""

    context_class = _Context


class _Group(click.Group):
    """Turns engine errors into exit 2 with a located message, in one place; its commands
    and groups are govcheck's too."""

    context_class = _Context
    command_class = _Command
    group_class = type

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GovcheckError as exc:
            raise _fail(exc) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except BrokenPipeError:  # `govcheck … | head`: the reader has all it wants
            sys.stdout = open(os.devnull, "w")
            raise SystemExit(0) from None
        except Exception as exc:  # a bug, not bad input: still no traceback for users
            if os.environ.get("GOVCHECK_DEBUG"):
                raise
            raise BadInput(_("internal error: {error}: {detail} (set GOVCHECK_DEBUG=1 to see "
                             "where)").format(error=type(exc).__name__, detail=exc)) from None


def _choose_language(_ctx, _param, asked: str | None) -> None:
    """Every message of this run in the language of ``--lang``, else of GOVCHECK_LANG, else
    in Chinese (the help texts are in it already: see ``_language_asked``)."""
    if asked is None:
        named = os.environ.get(i18n.ENVIRONMENT)
        if named and i18n.understood(named) is None:
            raise click.UsageError(_("{variable}={value}: govcheck speaks zh (the default) "
                                     "or en").format(variable=i18n.ENVIRONMENT, value=named))
    _speak(i18n.understood(asked) or i18n.from_environment())


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             help=_("Check government service and disclosure event logs against the rules of "
                    "their work points."))
@click.option("--lang", type=click.Choice(sorted(i18n.LANGUAGES), case_sensitive=False),
              is_eager=True, expose_value=False, callback=_choose_language,
              help=_("Language of messages and help: zh (the default) or en; GOVCHECK_LANG "
                     "sets it too."))
@click.version_option(package_name="govcheck", message="govcheck %(version)s",
                      help=_("Show the version and exit."))
def main() -> None:
    """The command group: its options apply to every command."""


def _one_shot() -> None:
    """A run that builds one report and exits needs no cycle collector: its findings are
    hundreds of thousands of small acyclic objects, and the collector's passes over them
    cost a city-year check 4 s of 54 (docs/benchmarks.md). ``watch`` keeps it."""
    gc.disable()


def _options(*decorators):
    """Declare a group of options once, for every command that takes them."""
    def apply(fn):
        for decorator in reversed(decorators):
            fn = decorator(fn)
        return fn
    return apply


def _command_name(ctx: click.Context) -> str:
    """``check``, ``rules list``…: the command as govcheck.yaml's keys name it."""
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    return " ".join(reversed(names))


def _read_config(ctx: click.Context, _param, given: str | None) -> None:
    """govcheck.yaml (named, or found here or above) gives the defaults of this command's
    options, through click's own ``default_map``: a flag given on the command line wins, as
    for any click default, and ``--help`` shows the file's values as the defaults. The
    option is eager, so the defaults are in place before the other options are read."""
    from govcheck.engine.config import find_config, load_config

    path = given or find_config()
    if path is None:
        return
    config = load_config(path)
    ctx.meta["govcheck.config"] = config
    ctx.default_map = {**config.defaults(_command_name(ctx)), **(ctx.default_map or {})}


CONFIG_OPTION = click.option(
    "--config", type=click.Path(dir_okay=False, exists=True), is_eager=True,
    expose_value=False, callback=_read_config,
    help=_("Settings file (default: govcheck.yaml in this folder or the nearest above)."))


def _config_values():
    """govcheck.yaml's ``values`` (applied to every log), if a settings file was read."""
    config = click.get_current_context().meta.get("govcheck.config")
    return config.values if config is not None else None


RULES_OPTION = click.option(
    "--rules", "rules", multiple=True, type=click.Path(),
    help=_("Rule file or directory (repeatable). Default: the shipped library."))
CALENDAR_OPTION = click.option(
    "--calendar", "calendars", multiple=True, type=click.Path(),
    help=_("Extra working-day calendar YAML (file or folder, repeatable)."))

#: What ``check`` and ``notices`` both take: the logs, the rules, the moment, the filters.
RUN_OPTIONS = _options(
    # folders and URIs are logs to Spark (--engine spark); the embedded engine refuses them
    click.argument("events", nargs=-1, type=click.Path()),
    CONFIG_OPTION,
    RULES_OPTION,
    click.option("--mapping", type=click.Path(dir_okay=False),
                 help=_("Mapping file for a real export.")),
    click.option("--sheet", metavar="NAME",
                 help=_("The sheet of an XLSX log to read (default: the first sheet with a "
                        "header row).")),
    click.option("--as-of", "as_of",
                 help=_("Judge the logs as they stood at this time (default: latest event).")),
    click.option("--rule", "rule_ids", multiple=True,
                 help=_("Run only this rule id (repeatable).")),
    click.option("--unit", "units", multiple=True,
                 help=_("Report only this unit (repeatable).")),
    CALENDAR_OPTION,
    click.option("--bad-rows", type=click.Path(dir_okay=False),
                 help=_("Write unusable rows here and go on (they are counted in the report).")),
    click.option("--mask/--no-mask", default=True,
                 help=_("Mask ID card and mobile numbers (the default, in every format but "
                        "JSON); --no-mask shows them in full.")),
    click.option("--city",
                 help=_("The city whose offices the logs come from (e.g. 邵阳市): the shipped "
                        "library then uses that city's packs and the national ones.")),
    click.option("--pack", "packs", multiple=True,
                 help=_("Use only this rule pack (folder name, repeatable), e.g. "
                        "shaoyang-2022-service.")),
    click.option("--period",
                 help=_("The logs cover this year, quarter or month (2022, 2022-Q3, 2022-07); "
                        "default: from the first event's date to --as-of.")),
    click.option("--from", "span_from", metavar="DATE",
                 help=_("The logs cover from this date.")),
    click.option("--to", "span_to", metavar="DATE", help=_("The logs cover up to this date.")),
    click.option("--memory-limit", metavar="SIZE",
                 help=_("Memory the database may use before it spills to a temporary folder "
                        "(e.g. 8GB; default 1.5GB, or DuckDB's own default where that is less). "
                        "A log too large for it is kept, compressed, in a temporary database "
                        "file.")),
    click.option("--evidence", default="rule", show_default=True,
                 type=click.Choice(["rule", "full"]),
                 help=_("What a finding's evidence shows of each event: rule (case, type, time, "
                        "unit, event id, the attributes the rule reads and --evidence-columns: "
                        "only the columns the rules read are loaded) or full (every column of the "
                        "log: every column is loaded, which takes longer and more memory).")),
    click.option("--evidence-columns", "evidence_columns", metavar="NAME", multiple=True,
                 help=_("Also show this column of the log in every finding's evidence "
                        "(repeatable).")),
)


def _inputs(run: dict) -> list[str]:
    """Every file a run reads, which no output may replace."""
    return [*run["events"], run["mapping"], *run["calendars"],
            *(r for r in run["rules"] if Path(r).is_file())]


class _RuleBar:
    """A progress bar on stderr as the rules run, for a person at a terminal (a city-year
    takes about a minute); nothing at all when stderr is a pipe, a file or a test's capture."""

    def __init__(self):
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=_("Checking rules"), file=sys.stderr,
                                         show_pos=True, show_eta=False)
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()


def _run_report(**options):
    """The one engine call of ``check`` and ``notices``, with the options of RUN_OPTIONS."""
    from govcheck.engine.api import Run, check as run_check

    if not (options["events"] or options.get("table")):
        raise click.UsageError(_("no event log given: name its files, or a --table with "
                                 "--engine spark"))
    if not (options["rules"] or options["packs"] or options["city"]):
        _note(_("no --city given: only the national rule packs are used (e.g. --city 邵阳市 adds "
                "that city's packs for the years the log covers)"))
    bar = _RuleBar() if sys.stderr.isatty() else None
    try:
        return run_check(Run(**{**options, "rules": options["rules"] or None},
                             values=_config_values()), progress=bar)
    finally:
        if bar is not None:
            bar.close()


@main.command(help=_("Evaluate event logs against the rules and report the violations."))
@RUN_OPTIONS
@click.option("--format", "fmt", default="text", show_default=True, type=click.Choice(FORMATS),
              help=_("The report's format."))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help=_("Write the report here (default: stdout)."))
@click.option("--html", "html_path", type=click.Path(dir_okay=False),
              help=_("Also write the HTML report here."))
@click.option("--fail-on", default="error", show_default=True,
              type=click.Choice(["error", "warning", "never"]),
              help=_("Exit 1 when a violation of this severity or above is found."))
@click.option("--strict", is_flag=True,
              help=_("Exit 2 when the log has data-quality problems (cases that could not be "
                     "judged)."))
@click.option("--engine", default="duckdb", show_default=True, type=click.Choice(["duckdb", "spark"]),
              help=_("Where the rules run: embedded DuckDB, or Spark for logs one machine cannot "
                     "hold (needs the spark extra and Java; docs/scale.md)."))
@click.option("--spark-master", default="local[*]", show_default=True, metavar="URL",
              help=_("With --engine spark: the Spark master (local[N], spark://…, yarn) or a "
                     "Spark Connect URL (sc://…)."))
@click.option("--table", metavar="DB.TABLE",
              help=_("With --engine spark: read this catalog table as a log (beside or instead "
                     "of EVENTS)."))
def check(fmt, output, html_path, fail_on, strict, **run) -> None:
    """The report to stdout or -o (and --html), the exit code by --fail-on and --strict."""
    _one_shot()
    from govcheck.engine.api import exit_code
    from govcheck.engine.data.calendar import WorkCalendar
    from govcheck.engine.render import render, write as write_report

    from govcheck.engine.files import atomic_writer, check_outputs, write_atomic

    check_outputs({"-o/--output": output, "--html": html_path, "--bad-rows": run["bad_rows"]},
                  _inputs(run))
    report = _run_report(**run)
    calendars, mask, bad_rows = run["calendars"], run["mask"], run["bad_rows"]
    # the HTML report counts deadlines day by day with the same calendar as the run
    options = {"mask": mask, "calendar": WorkCalendar.load(calendars) if calendars else None}
    if output:
        with atomic_writer(output) as out:
            write_report(report, fmt, out, **options)
    else:
        write_report(report, fmt, sys.stdout.buffer, **options)
        sys.stdout.flush()
    if html_path:
        write_atomic(html_path, render(report, "html", **options))
    if report.bad_rows:
        _note(_("{count} unusable row(s) written to {path}").format(count=report.bad_rows,
                                                                    path=bad_rows))
    if report.data_quality:
        _data_quality_note(report, strict)
    sys.exit(exit_code(report, fail_on))


def _data_quality_note(report, strict: bool) -> None:
    """Say on stderr how many cases could not be judged; with --strict that is bad input."""
    first = report.data_quality[:5]
    lines = [located(SourceLocation(q.file or "<log>", row=q.row),
                     _("{rule}: {message}").format(rule=q.rule_id, message=q.message))
             for q in first]
    more = len(report.data_quality) - len(first)
    summary = _("{count} case(s) could not be judged for data-quality reasons (see the report's "
                "data-quality section)").format(count=len(report.data_quality))
    if strict:
        more_line = [_("… and {count} more").format(count=more)] if more else []
        raise BadInput("\n".join(lines + more_line + [summary]))
    _note(summary)


def _note(message: str) -> None:
    """A line for the person at the terminal, on stderr, named as govcheck's."""
    click.echo(f"govcheck: {message}", err=True)


@main.command(help=_("Validate rule files and run every rule's own examples (default: the "
                     "rules of govcheck.yaml, else the shipped library)."))
@click.argument("rules", nargs=-1, type=click.Path(), metavar="[PATH]...")
@CALENDAR_OPTION
@click.option("--strict", is_flag=True,
              help=_("Fail on warnings too (a rule that is valid but will not do what it says)."))
@CONFIG_OPTION
def validate(rules, calendars, strict) -> None:
    from govcheck.engine.api import default_rules_dir
    from govcheck.engine.validate import validate as run_validate

    targets = list(rules) or [str(default_rules_dir())]
    problems = run_validate(targets, calendars)
    for problem in problems:
        click.echo(str(problem), err=True)
    failing = [p for p in problems if strict or p.severity == "error"]
    if failing:
        raise BadInput(_("{count} problem(s) in {paths}").format(count=len(failing),
                                                                 paths=", ".join(targets)))
    from govcheck.engine.model.loader import load_rules
    loaded = load_rules(targets)
    examples = sum(len(r.rule.examples) for r in loaded)
    summary = _("{rules} rules valid, {examples} examples pass").format(rules=len(loaded),
                                                                        examples=examples)
    if problems:
        summary += _(", {count} warning(s)").format(count=len(problems))
    click.echo(summary)


@main.command(help=_("Write a commented settings file (govcheck.yaml), or with --rules DIR a "
                     "rules repository."))
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False),
              help=_("Lay out a rules repository in this folder instead: a sample rule, its "
                     "vocabulary, the schema for editors, CI for GitHub and GitLab, pre-commit."))
@click.option("--config", "config_path", default="govcheck.yaml", show_default=True,
              type=click.Path(dir_okay=False), help=_("Where to write the settings file."))
def init(rules_dir, config_path) -> None:
    from govcheck.engine.scaffold import init_config, init_rules

    if rules_dir is None:
        click.echo(str(init_config(config_path)))
        _note(_("settings written; fill in the city and the rest, then run govcheck check LOG"))
        return
    for path in init_rules(rules_dir):
        click.echo(str(path))
    _note(_("rules repository written; check it with: govcheck validate {folder}").format(
        folder=rules_dir))


@main.group(help=_("Browse the rule library."))
def rules() -> None:
    """The commands that show rules."""


@rules.command("list", help=_("A header, then one line per rule: id, pack, kind, severity, "
                               "effective period, clause, title (tab-separated)."))
@RULES_OPTION
@click.option("--pack", help=_("Only rules of this pack (folder), e.g. shaoyang-2021-service."))
@click.option("--kind", help=_("Only rules of this kind (deadline, ratio, …)."))
@click.option("--severity", type=click.Choice(["error", "warning"]),
              help=_("Only rules of this severity."))
@CONFIG_OPTION
def rules_list(rules, pack, kind, severity) -> None:
    from govcheck.engine.api import list_rules
    from govcheck.engine.findings.messages import effective_text

    found = list_rules(rules or None, pack, kind, severity)
    click.echo("\t".join((_("Rule id"), _("Pack"), _("Kind"), _("Severity"), _("Effective"),
                          _("Basis"), _("Title"))))
    for item in found:
        rule = item.rule
        click.echo(f"{rule.id}\t{Path(item.path).parent.name}\t{rule.kind}\t{rule.severity}\t"
                   f"{effective_text(rule)}\t{rule.source.number} {rule.source.clause}\t"
                   f"{rule.title}")
    if not found:
        _note(_("no rule matches these filters"))


@rules.command("show", help=_("A rule with its clause, exact quote and examples."))
@click.argument("rule_id")
@RULES_OPTION
@CONFIG_OPTION
def rules_show(rule_id, rules) -> None:
    from govcheck.engine.api import select_rules, shown_path
    from govcheck.engine.findings.labels import kind_label, listing, severity_label, severity_words
    from govcheck.engine.findings.messages import effective_text, rule_lines

    item = select_rules(rules or None, [rule_id])[0]
    rule = item.rule
    click.echo(f"{rule.id}  {rule.title}")
    click.echo(_("Kind: {kind} ({code})    Severity: {severity} ({words})").format(
        kind=kind_label(rule.kind), code=rule.kind, severity=severity_label(rule.severity),
        words=severity_words(rule.severity)))
    click.echo(_("Basis: {document} ({number}) {clause}").format(
        document=rule.source.document, number=rule.source.number, clause=rule.source.clause))
    click.echo(_("Quote: “{quote}”").format(quote=rule.source.quote))
    if rule.notes:
        click.echo(_("Notes: {notes}").format(notes=rule.notes))
    if rule.effective:
        click.echo(_("Effective: {period}").format(period=effective_text(rule)))
    for line in rule_lines(rule):
        click.echo(line)
    click.echo(_("Rule file: {path}").format(path=shown_path(item.path)))
    for example in rule.examples:
        found = listing(f"{x.case_id or x.unit or ''} {x.period or ''} {x.type}".replace("  ", " ")
                        for x in example.expect) or _("no violations")
        click.echo(ngettext("Example: {name} ({count} event) → {found}",
                            "Example: {name} ({count} events) → {found}",
                            len(example.events)).format(name=example.name,
                                                        count=len(example.events), found=found))


@main.group(help=_("The working-day calendar."))
def calendar() -> None:
    """The commands that show or write working-day calendars."""


@calendar.command("explain", help=_("Show how N working days from DATE are counted, day by day."))
@click.argument("date")
@click.argument("n", type=int)
@CALENDAR_OPTION
@CONFIG_OPTION
def calendar_explain(date, n, calendars) -> None:
    from govcheck.engine.api import parse_as_of
    from govcheck.engine.data.calendar import WorkCalendar

    if n < 0:
        raise click.BadParameter(_("N must be 0 or more"), param_hint="N")
    day = parse_as_of(date, "DATE").date()
    click.echo(WorkCalendar.load(calendars).explain_text(day, n))


@calendar.command("template", help=_("Write a calendar file for YEAR to complete from the State "
                                     "Council's notice; then give it to --calendar, which "
                                     "checks it."))
@click.argument("year", type=click.IntRange(1900, 9999))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help=_("The file to write (default: YEAR.yaml here; - for stdout)."))
@CONFIG_OPTION
def calendar_template(year, output) -> None:
    from govcheck.engine.data.calendar import PACKAGE_YEARS, calendar_template as template
    from govcheck.engine.files import write_atomic
    from govcheck.engine.scaffold import refuse_existing

    text = template(year)
    if output == "-":
        click.echo(text, nl=False)
        return
    path = Path(output or f"{year}.yaml")
    refuse_existing([path])
    write_atomic(path, text.encode("utf-8"))
    click.echo(str(path))
    if year in PACKAGE_YEARS:
        _note(_("fill it in from the State Council's notice for {year}, then use --calendar "
                "{path}; {year} is already in chinesecalendar, which the file must agree with "
                "day for day").format(year=year, path=path))
    else:
        _note(_("fill it in from the State Council's notice for {year}, then use --calendar "
                "{path}").format(year=year, path=path))


@main.command(help=_("Write one 整改通知 (printable HTML) per unit with violations into a "
                     "folder."))
@RUN_OPTIONS
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help=_("Folder for the notices (created if missing)."))
@click.option("--reply-within", default=10, show_default=True, type=click.IntRange(min=1),
              help=_("Working days after --as-of (default: the latest event) to reply by."))
@click.option("--issuer", default="市行政审批服务局", show_default=True,
              help=_("Who sends the notices."))
def notices(out_dir, reply_within, issuer, **run) -> None:
    _one_shot()
    from govcheck.engine.data.calendar import WorkCalendar
    from govcheck.engine.render.notices import own_violations, render_notices

    from govcheck.engine.files import check_outputs, write_atomic

    check_outputs({"--bad-rows": run["bad_rows"]}, _inputs(run))
    report = _run_report(**run)
    pages = render_notices(report, WorkCalendar.load(run["calendars"]), reply_within,
                           mask=run["mask"], issuer=issuer)
    folder = Path(out_dir)
    check_outputs({f"notice {name}": folder / name for name, _data in pages}, _inputs(run))
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in pages:
        write_atomic(folder / name, data)
        click.echo(str(folder / name))
    _note(_("{notices} notice(s) for {violations} violation(s) written to {folder}").format(
        notices=len(pages), violations=len(report.violations), folder=folder))
    own = own_violations(report, issuer)
    if own:
        _note(_("{count} violation(s) of {issuer}, the issuer, get no notice (a notice is not "
                "sent to its own sender)").format(count=own, issuer=issuer))


@main.group(help=_("Synthetic event logs with known answers."))
def fixtures() -> None:
    """The commands that make test data."""


@fixtures.command("generate", help=_("Write a synthetic 邵阳 log that covers every rule of a "
                                     "year, with known violations."))
@click.option("--events", "events", required=True, type=click.IntRange(min=1),
              help=_("Number of events to write (exactly)."))
@click.option("--seed", default=1, show_default=True, type=int, help=_("Same seed, same log."))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help=_("The log to write."))
@click.option("--truth", type=click.Path(dir_okay=False),
              help=_("Also write the expected findings here (CSV: rule_id, case_id, unit, "
                     "period, type)."))
@click.option("--year", default=2022, show_default=True, type=int,
              help=_("The year the log covers; its rules (and those with no end date) are "
                     "covered."))
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "jsonl"]),
              help=_("The log's format (default: from the output's extension, else csv)."))
@RULES_OPTION
@CALENDAR_OPTION
@CONFIG_OPTION
def fixtures_generate(events, seed, output, truth, year, fmt, rules, calendars) -> None:
    from govcheck.engine.testing.generator import Options, generate

    if fmt is None:
        fmt = {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl",
               ".ndjson": "jsonl"}.get(Path(output).suffix.lower(), "csv")
    summary = generate(Options(events=events, seed=seed, year=year, format=fmt, rules=rules,
                               calendars=calendars), output, truth)
    for line in summary.lines():
        _note(line)


@main.command(help=_("Streaming monitor: JSON lines in, warnings and violations out as JSON "
                     "lines."))
@click.argument("source", required=False, default="-", metavar="[FILE|-]")
@RULES_OPTION
@click.option("--follow", is_flag=True, help=_("Keep reading FILE as it grows (like tail -f)."))
@click.option("--clock", type=click.Choice(["event", "wall"]), default="event", show_default=True,
              help=_("event: time moves with the events' timestamps (and _clock lines); "
                     "wall: the time of day, for live use."))
@click.option("--state", type=click.Path(dir_okay=False),
              help=_("Save open cases and the clock here; a restart resumes from it."))
@click.option("--bad-lines", type=click.Path(dir_okay=False),
              help=_("Also append unusable lines here (JSON lines: line, reason, text)."))
@CALENDAR_OPTION
@click.option("--shards", default=16, show_default=True, type=click.IntRange(1, 4096),
              help=_("durable-rules rulesets the open cases are spread over (by case id)."))
@click.option("--session-cap", default=40_000, show_default=True, type=click.IntRange(min=100),
              help=_("Most facts one ruleset may hold; watch stops (exit 2) rather than go "
                     "past it."))
@click.option("--status-every", default=60.0, show_default=True, type=float,
              help=_("Seconds between status lines on stderr (0: only at the end)."))
@click.option("--checkpoint-every", default=10.0, show_default=True, type=float,
              help=_("Seconds between saves of --state."))
@click.option("--remember-days", default=400, show_default=True, type=click.IntRange(min=1),
              help=_("Days (of clock time) a closed case's id is remembered, so it is not "
                     "opened twice."))
@CONFIG_OPTION
def watch(source, rules, follow, clock, state, bad_lines, calendars, shards, session_cap,
          status_every, checkpoint_every, remember_days) -> None:
    from govcheck.engine.watch.monitor import WatchOptions, durable_problem, watch as run_watch

    from govcheck.engine.files import check_outputs

    problem = durable_problem()
    if problem:
        raise BadInput(problem)
    check_outputs({"--state": state, "--bad-lines": bad_lines},
                  [source, *calendars, *(r for r in rules if Path(r).is_file())])
    sys.exit(run_watch(WatchOptions(
        source=source, rules=rules or None, follow=follow, clock=clock, state=state,
        bad_lines=bad_lines, calendars=calendars, shards=shards, session_cap=session_cap,
        status_every=status_every, checkpoint_every=checkpoint_every,
        remember_days=remember_days)))


if __name__ == "__main__":
    main()

