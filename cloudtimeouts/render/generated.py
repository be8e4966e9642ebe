"""What another tool reads: the Django settings snippet, and the profiles' values as Terraform.

The text is generated where the knowledge is (`django.django_settings`, and `terraform.export`
through the library's `export_terraform`), each
refusing a profile its own guard refuses (UnsafeProfileError, exit 3): settings or HCL that let
Django reuse a connection the server already closed are never written. Here it is only asked for
in the chosen format and written to stdout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from cloudtimeouts.render import Output
    from cloudtimeouts.results import DjangoSettings, TerraformExport


def django_python(settings: DjangoSettings, output: Output) -> None:
    _django(settings, "python", output)


def django_dj_database_url(settings: DjangoSettings, output: Output) -> None:
    _django(settings, "dj-database-url", output)


def django_json(settings: DjangoSettings, output: Output) -> None:
    _django(settings, "json", output)


def _django(
    settings: DjangoSettings, fmt: Literal["python", "dj-database-url", "json"], output: Output
) -> None:
    from cloudtimeouts.django import django_settings

    snippet = django_settings(
        settings.profile,
        fmt,
        alias=settings.alias,
        env_prefix=settings.env_prefix,
        source=settings.source,
    )
    print(snippet.rstrip("\n"), file=output.out.file)


def terraform(export: TerraformExport, output: Output) -> None:
    from cloudtimeouts.library import export_terraform

    print(export_terraform(export.profiles, export.sources), end="", file=output.out.file)
