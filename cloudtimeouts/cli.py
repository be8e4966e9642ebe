"""The command line: parse, call the library, render. One error boundary, one set of exit codes.

No `from __future__ import annotations` here: typer reads every command's annotations when it
builds the command line, and evaluating them from strings (one compile each) was two thirds of
that time, on every run, `--help` included (start-up: benchmarks/startup.py).
"""

import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from cloudtimeouts import cli_evidence as evidence
from cloudtimeouts.cli_common import (
    exit_if_interrupted,
    interruption,
    load_all,
    outputs,
    progress_bar,
    say_interrupted,
    stderr,
    stdout,
)
from cloudtimeouts.cli_options import (
    AllowRestart,
    Concurrency,
    ExportFormat,
    Group,
    JournalPath,
    PictureFormat,
    PlanFormat,
    ProfileArg,
    Profiles,
    ReportFormat,
    ShowTraceback,
    SnippetFormat,
    Targets,
    Timeout,
    Verbose,
    Yes,
    shown_as_usage_error,
)
from cloudtimeouts.errors import (
    CloudtimeoutsError,
    ConfirmationRequired,
    ExitCode,
    UnsafeProfileError,
)
from cloudtimeouts.render import Format, Output, show
from cloudtimeouts.said import line, say
from cloudtimeouts.signals import sigterm_as_interrupt, stoppable

if TYPE_CHECKING:
    from cloudtimeouts.plan import Plan
    from cloudtimeouts.profile import Profile
    from cloudtimeouts.results import TargetResult

app = typer.Typer(
    name="cloudtimeouts",
    help="Keep Django's CONN_MAX_AGE below every idle timeout of your managed databases.",
    cls=Group,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_show_traceback = False


@app.callback()
def _options(
    traceback: ShowTraceback = False,
    verbose: Verbose = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=lambda shown: _version(shown),
            help="Show the version.",
        ),
    ] = False,
) -> None:
    from cloudtimeouts import logs

    global _show_traceback
    _show_traceback = traceback
    logs.configure(verbose)


def _version(shown: bool) -> None:
    if shown:
        from cloudtimeouts import __version__

        print(f"cloudtimeouts {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.command()
def validate(profiles: Profiles) -> None:
    """Check profiles offline: schema, units, ranges, and the guard on declared values."""
    from cloudtimeouts.library import validate as validate_profile

    refused = failed = False
    for path in profiles:  # every file is judged: pre-commit hands the hook all of them at once
        try:
            (profile,) = load_all([path])
        except CloudtimeoutsError as error:
            say(stderr, error)
            failed = True
            continue
        checked = validate_profile(profile)
        show(checked, Format.text, outputs(source=path))
        refused = refused or not checked.ok
    if failed:
        raise typer.Exit(ExitCode.ERROR)
    if refused:
        raise typer.Exit(ExitCode.REFUSED)


@app.command()
def explain(
    profile: ProfileArg,
    output: Annotated[PictureFormat, typer.Option("--output", "-o")] = PictureFormat.text,
    write: Annotated[
        Path | None, typer.Option(metavar="FILE", help="The SVG file (default: PROFILE.svg).")
    ] = None,
) -> None:
    """Draw the whole path as a timeline, offline: what closes an idle connection, and when."""
    from cloudtimeouts.explain import explain as explain_profile

    (loaded,) = load_all([profile])
    explanation = explain_profile(loaded)
    show(explanation, Format(output), outputs(source=profile, file=write))
    if explanation.refused:
        raise typer.Exit(ExitCode.REFUSED)


@app.command()
def plan(
    profiles: Profiles,
    target: Targets = None,
    output: Annotated[PlanFormat, typer.Option("--output", "-o")] = PlanFormat.table,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes to make.")
    ] = False,
    terraform_plan: Annotated[
        Path | None,
        typer.Option(
            "--terraform-plan",
            metavar="PLAN.json",
            help="Judge the values this Terraform/OpenTofu plan will leave (the JSON of "
            "`terraform show -json PLANFILE`) instead of reading the clouds.",
            show_default=False,
        ),
    ] = None,
    timeout: Timeout = 60.0,
    concurrency: Concurrency = 16,
) -> None:
    """Show what apply would change on each target, and what the guard refuses."""
    loaded = load_all(profiles)
    if terraform_plan is not None:
        from cloudtimeouts.library import plan_terraform

        result = plan_terraform(loaded, terraform_plan, only=target or ())
    else:
        quiet = Format(output) is not Format.table
        result = _read_targets(loaded, target, quiet, timeout, concurrency)
    show(result, Format(output), outputs())
    if result.error_count:
        raise typer.Exit(ExitCode.ERROR)
    if result.refusal_count:
        raise typer.Exit(ExitCode.REFUSED)
    if detailed_exitcode and result.change_count:
        raise typer.Exit(ExitCode.CHANGES)


@app.command()
def apply(
    profiles: Profiles,
    target: Targets = None,
    yes: Yes = False,
    allow_restart: AllowRestart = False,
    output: Annotated[ReportFormat, typer.Option("--output", "-o")] = ReportFormat.table,
    journal: JournalPath = None,
    timeout: Timeout = 60.0,
    concurrency: Concurrency = 16,
) -> None:
    """Plan, confirm, then write each target, re-reading before and verifying after."""
    quiet = Format(output) is Format.json
    planned = _read_targets(load_all(profiles), target, quiet, timeout, concurrency)
    _apply_planned(planned, yes, allow_restart, Format(output), journal, timeout, concurrency)


@app.command()
def rollback(
    journal_file: Annotated[
        Path, typer.Argument(metavar="JOURNAL", help="A journal written by apply.")
    ],
    target: Targets = None,
    yes: Yes = False,
    allow_restart: AllowRestart = False,
    output: Annotated[ReportFormat, typer.Option("--output", "-o")] = ReportFormat.table,
    journal: JournalPath = None,
    timeout: Timeout = 60.0,
    concurrency: Concurrency = 16,
) -> None:
    """Put back what a journal says apply wrote (or may have), guarded like apply, per target."""
    from cloudtimeouts.rollback import read_rollback, restorable_plan

    undo = read_rollback(journal_file, only=target or ())
    if not undo.profiles and not undo.unrestorable:
        stdout.print(line(f"{journal_file}: no write to roll back."))
        return
    quiet = Format(output) is Format.json
    planned = _read_targets(list(undo.profiles), None, quiet, timeout, concurrency)
    undo_plan, restorable, held_back = restorable_plan(planned, undo)
    _apply_planned(undo_plan, yes, allow_restart, Format(output), journal, timeout, concurrency,
                   restorable=restorable, held_back=held_back)  # fmt: skip


def _read_targets(
    profiles: "list[Profile]",
    only: list[str] | None,
    quiet: bool,
    timeout: float,
    concurrency: int,
) -> "Plan":
    """make_plan with a progress bar (unless quiet), stoppable by Ctrl-C or SIGTERM (exit 130)."""
    from cloudtimeouts.planning import make_plan

    total = sum(1 for p in profiles for t in p.targets if not only or t.id in only)
    with progress_bar("reading targets", total, quiet) as tick, stoppable(stderr, "read") as cancel:
        planned = make_plan(
            profiles,
            only=only or (),
            timeout=timeout,
            cancel=cancel,
            concurrency=concurrency,
            progress=tick,
        )
    exit_if_interrupted(cancel, "nothing was written")
    return planned


def _apply_planned(
    planned: "Plan",
    yes: bool,
    allow_restart: bool,
    output: Format,
    journal_path: Path | None,
    timeout: float,
    concurrency: int,
    *,
    restorable: "Plan | None" = None,
    held_back: "tuple[TargetResult, ...]" = (),
) -> None:
    """The write half of apply and rollback: show, confirm, journal, write, report. Rollback shows
    its whole plan, writes only `restorable`, reports what it `held_back` (3: refusals only)."""
    from cloudtimeouts.applying import apply_plan, check_applicable
    from cloudtimeouts.library import journal_for
    from cloudtimeouts.rollback import with_held_back

    writable = planned if restorable is None else restorable
    stdout_is_json = output is Format.json  # then the plan a person confirms goes to stderr
    shown = stderr if stdout_is_json else stdout
    show(planned, Format.table, Output(shown, stderr))
    check_applicable(writable, allow_restart)
    if not writable.change_count:
        shown.print("Nothing to apply.")
    elif not yes:
        _confirm(writable.change_count)
    writing = sum(1 for target in writable.targets if target.changes)
    with (
        journal_for(writable, journal_path) as journal,
        progress_bar("writing targets", writing, stdout_is_json or not writing) as tick,
        stoppable(stderr) as cancel,
    ):
        result = apply_plan(
            writable, allow_restart, journal=journal, timeout=timeout, cancel=cancel,
            concurrency=concurrency, progress=tick,
        )  # fmt: skip
    result = with_held_back(result, held_back, planned)
    if stdout_is_json or writing or held_back:  # a run that wrote nothing says so above
        show(result, output, outputs())
    if result.interrupted:
        say_interrupted(None)  # the report above says it
    stopped = [t for t in result.targets if t.outcome not in ("applied", "unchanged", "refused")]
    if result.journal_error or stopped:
        raise typer.Exit(ExitCode.ERROR)
    if result.failed:  # only refusals of a rollback's restores
        raise typer.Exit(ExitCode.REFUSED)


@app.command("django-settings")
def django_settings(
    profile: ProfileArg,
    format: Annotated[SnippetFormat, typer.Option("--format", "-f")] = SnippetFormat.python,
    alias: Annotated[str, typer.Option(metavar="NAME", help="The DATABASES alias.")] = "default",
    env_prefix: Annotated[
        str,
        typer.Option(
            metavar="PREFIX",
            help="Prefix of the environment variables holding connection details.",
        ),
    ] = "DB_",
) -> None:
    """Print a Django DATABASES snippet whose CONN_MAX_AGE comes from the profile."""
    from cloudtimeouts.results import DjangoSettings

    (loaded,) = load_all([profile])
    settings = DjangoSettings(loaded, alias=alias, env_prefix=env_prefix, source=str(profile))
    try:
        show(settings, Format(format), outputs())
    except UnsafeProfileError as refused:
        _say_refusals(refused, f"{profile}: ")
        raise
    except ValueError as error:
        raise CloudtimeoutsError(str(error)) from None


app.command()(evidence.verify)
app.command()(evidence.observe)
app.command()(evidence.diagnose)


@app.command()
def demo() -> None:
    """Run the whole flow on local emulators: no cloud account, no configuration."""
    from cloudtimeouts.demo import run_demo

    with sigterm_as_interrupt():
        run_demo(stdout)


@app.command()
def sandbox(
    directory: Annotated[
        Path,
        typer.Option(
            "--dir", metavar="DIR", help="Where to write the example profiles and sandbox.env."
        ),
    ] = Path("cloudtimeouts-sandbox"),
    stop: Annotated[
        bool, typer.Option("--stop", help="Stop the sandbox running in DIR (its sandbox.pid).")
    ] = False,
) -> None:
    """Start the demo's emulators and print how to point the tool (and aws/gcloud) at them."""
    from cloudtimeouts.demo import how_to_use, open_sandbox, pid_file, stop_sandbox

    directory = directory.resolve()
    if stop:
        stdout.print(f"Sandbox (pid {stop_sandbox(directory)}) stopped.", markup=False)
        return
    emulators = open_sandbox(directory)  # a missing package is said before anything starts
    with sigterm_as_interrupt(), pid_file(directory), emulators as running:
        orders, billing = running.write_profiles()
        env_file = running.write_env_file()
        stdout.print(how_to_use(directory, env_file, orders, billing), markup=False)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            stderr.print("Stopping the emulators.")
            raise


@app.command("import")
def import_(
    name: Annotated[
        str, typer.Option("--name", metavar="NAME", help="The profile's name.", show_default=False)
    ],
    aws_parameter_group: Annotated[
        list[str] | None, typer.Option(metavar="NAME", help="An RDS DB parameter group.")
    ] = None,
    aws_cluster_parameter_group: Annotated[
        list[str] | None, typer.Option(metavar="NAME", help="An RDS DB cluster parameter group.")
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option(
            metavar="R",
            help="The AWS groups' region: once for all, or once per group (parameter groups "
            "first, then cluster parameter groups).",
        ),
    ] = None,
    gcp_instance: Annotated[
        list[str] | None, typer.Option(metavar="PROJECT/NAME", help="A Cloud SQL instance.")
    ] = None,
    azure_server: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SUB/RG/NAME",
            help="An Azure flexible server: its subscription id, resource group and name.",
        ),
    ] = None,
    conn_max_age: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION", help="Default: the largest value the guard accepts everywhere."
        ),
    ] = None,
    margin: Annotated[
        str | None, typer.Option(metavar="DURATION", help="The guard's margin (default 0s).")
    ] = None,
    write: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write the profile to a new FILE.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="With --write: replace FILE.")] = False,
    timeout: Timeout = 60.0,
    concurrency: Concurrency = 16,
) -> None:
    """Print a profile of what the targets hold today (every target must run one engine)."""
    from cloudtimeouts.importer import import_profile, targets_from_options, write_new

    if force and write is None:
        raise CloudtimeoutsError("--force goes with --write FILE")
    targets = targets_from_options(
        {
            "--aws-parameter-group": aws_parameter_group or (),
            "--aws-cluster-parameter-group": aws_cluster_parameter_group or (),
            "--region": region or (),
            "--gcp-instance": gcp_instance or (),
            "--azure-server": azure_server or (),
        }
    )
    with progress_bar("reading targets"):
        imported = import_profile(
            targets, name, conn_max_age, margin, timeout=timeout, concurrency=concurrency
        )
    if write is None:
        print(imported.text, end="")
        return
    write_new(write, imported.text, force=force)
    profile = imported.profile
    stderr.print(
        line(
            f"Wrote {write}: profile {profile.name} ({profile.engine}), {len(profile.server)} "
            f"server parameter(s), {len(profile.targets)} target(s)"
            + (
                f"; {len(imported.left_out)} left out (see its comments)"
                if imported.left_out
                else ""
            )
        )
    )


@app.command()
def export(
    profiles: Profiles,
    format: Annotated[
        ExportFormat,
        typer.Option("--format", "-f", help="What to write the profiles' values as."),
    ] = ExportFormat.terraform,
) -> None:
    """Print the profiles' managed values as Terraform HCL, for Terraform to hold and apply."""
    from cloudtimeouts.results import TerraformExport

    loaded = load_all(profiles)
    try:
        show(TerraformExport(tuple(loaded), tuple(map(str, profiles))), Format(format), outputs())
    except UnsafeProfileError as refused:
        _say_refusals(refused)
        raise


@app.command()
def schema() -> None:
    """Print the JSON Schema of profiles (for editors and CI)."""
    from cloudtimeouts.profile import profile_json_schema

    print(json.dumps(profile_json_schema(), indent=2))


def _confirm(count: int) -> None:
    if not sys.stdin.isatty():
        raise ConfirmationRequired(
            "refusing to apply without confirmation: standard input is not a terminal",
            hint="review the plan above and re-run with --yes",
        )
    stderr.print(f"Apply {count} change(s)? Only 'yes' will be accepted: ", end="")
    if sys.stdin.readline().strip() != "yes":
        stderr.print("Apply cancelled; nothing was written.")
        raise typer.Exit(ExitCode.ERROR)


def _say_refusals(refused: UnsafeProfileError, where: str = "") -> None:
    """Each refusal of a profile the guard refuses on its own, before the one error line."""
    for finding in refused.refusals:
        stderr.print(line(f"refused: {where}{finding.message}", "red"))


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors exit 1 (not click's 2) so that 2 means only 'changes'."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="cloudtimeouts", standalone_mode=False)
    except CloudtimeoutsError as error:
        say(stderr, error)
        raise SystemExit(int(error.exit_code)) from None
    except typer.Exit as done:
        raise SystemExit(done.exit_code) from None
    except (typer.Abort, KeyboardInterrupt):
        stderr.print("Interrupted.")
        raise SystemExit(ExitCode.INTERRUPTED) from None
    except Exception as error:
        if shown_as_usage_error(error):
            raise SystemExit(ExitCode.ERROR) from None
        if _show_traceback:
            raise
        stderr.print(
            Text("Error: ", style="red")
            + line(f"unexpected error: {type(error).__name__}: {error} (re-run with --traceback)")
        )
        raise SystemExit(ExitCode.ERROR) from None
    if code == ExitCode.INTERRUPTED and not interruption.said:  # typer's silent Ctrl-C
        stderr.print("Interrupted.")
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
