"""cloudtimeouts: keep CONN_MAX_AGE below every idle timeout that can close a connection.

Every CLI command but `import` (and the emulators' `demo` and `sandbox`) is one call here, with
the CLI's safety rules (docs/library.md: a complete example and the reference). Offline, from a
checkout of the repository::

    import cloudtimeouts

    profile = cloudtimeouts.load_profile("profiles/aws-postgres.yaml")  # ProfileError: file:line
    checked = cloudtimeouts.validate(profile)           # the offline guard of `validate`
    if checked.ok:
        print(cloudtimeouts.django_settings(profile))   # UnsafeProfileError if the guard refuses

Against the clouds: `make_plan([profile])` reads every target (errors stay per target), then
`apply_plan(plan)` writes all or nothing with a journal, which `rollback(result.journal)` undoes.

Names are loaded on first use, so `import cloudtimeouts` (and `cloudtimeouts --help`) stays free
of Pydantic and of every cloud SDK.
"""

from __future__ import annotations

import sys as _sys
import types as _types
import typing as _typing

__version__ = "0.1.0"  # the one version source: pyproject.toml reads it (setuptools attr)

_EXPORTS = {
    # profiles
    "load_profile": "cloudtimeouts.profile",
    "load_profiles": "cloudtimeouts.profile",
    "Profile": "cloudtimeouts.profile",
    # one call per command
    "validate": "cloudtimeouts.library",
    "Validation": "cloudtimeouts.results",
    "explain": "cloudtimeouts.explain",
    "Explanation": "cloudtimeouts.explain",
    "make_plan": "cloudtimeouts.planning",
    "plan_terraform": "cloudtimeouts.library",
    "Plan": "cloudtimeouts.plan",
    "apply_plan": "cloudtimeouts.library",
    "DEFAULT_JOURNAL": "cloudtimeouts.library",
    "ApplyResult": "cloudtimeouts.results",
    "TargetResult": "cloudtimeouts.results",
    "rollback": "cloudtimeouts.library",
    "verify": "cloudtimeouts.live",
    "VerifyReport": "cloudtimeouts.live",
    "observe": "cloudtimeouts.library",
    "ObserveReport": "cloudtimeouts.live.observe",
    "diagnose": "cloudtimeouts.library",
    "Diagnosis": "cloudtimeouts.diagnose.incidents",
    "LogError": "cloudtimeouts.errors",
    "django_settings": "cloudtimeouts.django",
    "export_terraform": "cloudtimeouts.library",
    "profile_json_schema": "cloudtimeouts.profile",
    "Finding": "cloudtimeouts.model",
    # errors
    "CloudtimeoutsError": "cloudtimeouts.errors",
    "ExitCode": "cloudtimeouts.errors",
    "ProfileError": "cloudtimeouts.errors",
    "GuardRefusal": "cloudtimeouts.errors",
    "UnsafeProfileError": "cloudtimeouts.errors",
    "ProviderUnavailableError": "cloudtimeouts.errors",
    "ProviderAuthError": "cloudtimeouts.errors",
    "ProviderAPIError": "cloudtimeouts.errors",
    "TargetNotAllowedError": "cloudtimeouts.errors",
    "JournalError": "cloudtimeouts.journal",
    "TerraformPlanError": "cloudtimeouts.terraform.planfile",
}

__all__ = [  # the public API: _EXPORTS and __version__ (tests/test_library.py keeps them one)
    "DEFAULT_JOURNAL",
    "ApplyResult",
    "CloudtimeoutsError",
    "Diagnosis",
    "ExitCode",
    "Explanation",
    "Finding",
    "GuardRefusal",
    "JournalError",
    "LogError",
    "ObserveReport",
    "Plan",
    "Profile",
    "ProfileError",
    "ProviderAPIError",
    "ProviderAuthError",
    "ProviderUnavailableError",
    "TargetNotAllowedError",
    "TargetResult",
    "TerraformPlanError",
    "UnsafeProfileError",
    "Validation",
    "VerifyReport",
    "__version__",
    "apply_plan",
    "diagnose",
    "django_settings",
    "explain",
    "export_terraform",
    "load_profile",
    "load_profiles",
    "make_plan",
    "observe",
    "plan_terraform",
    "profile_json_schema",
    "rollback",
    "validate",
    "verify",
]

if _typing.TYPE_CHECKING:
    from cloudtimeouts.diagnose.incidents import Diagnosis
    from cloudtimeouts.django import django_settings
    from cloudtimeouts.errors import (
        CloudtimeoutsError,
        ExitCode,
        GuardRefusal,
        LogError,
        ProfileError,
        ProviderAPIError,
        ProviderAuthError,
        ProviderUnavailableError,
        TargetNotAllowedError,
        UnsafeProfileError,
    )
    from cloudtimeouts.explain import Explanation, explain
    from cloudtimeouts.journal import JournalError
    from cloudtimeouts.library import (
        DEFAULT_JOURNAL,
        apply_plan,
        diagnose,
        export_terraform,
        observe,
        plan_terraform,
        rollback,
        validate,
    )
    from cloudtimeouts.live import VerifyReport, verify
    from cloudtimeouts.live.observe import ObserveReport
    from cloudtimeouts.model import Finding
    from cloudtimeouts.plan import Plan
    from cloudtimeouts.planning import make_plan
    from cloudtimeouts.profile import Profile, load_profile, load_profiles, profile_json_schema
    from cloudtimeouts.results import ApplyResult, TargetResult, Validation
    from cloudtimeouts.terraform.planfile import TerraformPlanError


def __getattr__(name: str) -> object:
    """PEP 562: import the module that defines `name` only when a caller asks for it."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cloudtimeouts' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API only (PEP 562), not this module's own helpers."""
    return list(__all__)


class _Library(_types.ModuleType):
    """`explain` and `rollback` name both a library call and a submodule. Importing a submodule
    binds it on its package (the import system's setattr), which would hide the call once
    anything imported the submodule: the call wins here (the submodule stays in sys.modules)."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _EXPORTS and getattr(value, "__name__", None) == f"cloudtimeouts.{name}":
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Library
