"""cloudtimeouts: keep CONN_MAX_AGE below every idle timeout that can close a connection.

The library API, with the CLI's safety rules (an unsafe profile is refused here too)::

    from cloudtimeouts import apply_plan, django_settings, load_profile, make_plan

    profile = load_profile("profiles/orders.yaml")     # ProfileError (exit 1) on bad input
    print(django_settings(profile))                    # UnsafeProfileError if the guard refuses
    plan = make_plan([profile])                        # reads every target; errors stay per target
    if not plan.refusal_count and not plan.error_count:
        result = apply_plan(plan, allow_restart=False) # all or nothing before any write

Names are loaded on first use, so `import cloudtimeouts` (and `cloudtimeouts --help`) stays free
of Pydantic and of every cloud SDK.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # the one version source: pyproject.toml reads it (setuptools attr)

_EXPORTS = {
    "load_profile": "cloudtimeouts.profile",
    "Profile": "cloudtimeouts.profile",
    "make_plan": "cloudtimeouts.orchestration",
    "apply_plan": "cloudtimeouts.orchestration",
    "ApplyResult": "cloudtimeouts.orchestration",
    "Plan": "cloudtimeouts.plan",
    "verify": "cloudtimeouts.live",
    "django_settings": "cloudtimeouts.django",
    "CloudtimeoutsError": "cloudtimeouts.errors",
    "ExitCode": "cloudtimeouts.errors",
}

__all__ = [
    "ApplyResult",
    "CloudtimeoutsError",
    "ExitCode",
    "Plan",
    "Profile",
    "__version__",
    "apply_plan",
    "django_settings",
    "load_profile",
    "make_plan",
    "verify",
]

if TYPE_CHECKING:
    from cloudtimeouts.django import django_settings
    from cloudtimeouts.errors import CloudtimeoutsError, ExitCode
    from cloudtimeouts.live import verify
    from cloudtimeouts.orchestration import ApplyResult, apply_plan, make_plan
    from cloudtimeouts.plan import Plan
    from cloudtimeouts.profile import Profile, load_profile


def __getattr__(name: str) -> Any:
    """PEP 562: import the module that defines `name` only when a caller asks for it."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cloudtimeouts' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
