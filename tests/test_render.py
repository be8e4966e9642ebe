"""Golden renderings: what a person reads in the terminal."""

from __future__ import annotations

import io

from rich.console import Console

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.model import ParameterState, TargetState
from cloudtimeouts.plan import Plan, build_target_plan, failed_target_plan
from cloudtimeouts.profile import parse_profile
from cloudtimeouts.render import text as render
from cloudtimeouts.results import ApplyResult, TargetResult

PROFILE = parse_profile(
    """
name: orders
engine: postgres
django: {conn_max_age: 5min}
guard: {margin: 30s}
server:
  idle_session_timeout: 10min
  idle_in_transaction_session_timeout: 10min
  statement_timeout: 30s
  tcp_keepalives_idle: 1min
targets:
  - {provider: aws, region: eu-west-1, parameter_group: orders-pg16}
  - {provider: aws, region: eu-west-1, parameter_group: missing}
""",
    "golden.yaml",
)

GOLDEN_PLAN = """\
Symbols: + set (the target uses the default today); ~ update (the target sets another value today)

# aws:eu-west-1:parameter-group/orders-pg16 (profile orders, postgres16)
  + idle_session_timeout: 0 ms (off) [default] -> 600000 ms (10min)
  ~ idle_in_transaction_session_timeout: 60000 ms (1min) [target] -> 600000 ms (10min)
  + tcp_keepalives_idle: 300 s (5min) [default] -> 60 s (1min)  # restart required (needs --allow-restart)
  (1 unchanged parameter hidden)
  ! warning: currently unsafe: aws:eu-west-1:parameter-group/orders-pg16: idle_in_transaction_session_timeout = 60000 ms (60 s, set on the target) is not above CONN_MAX_AGE 300 s plus the margin of 30 s (330 s in all). The server closes a connection once it has been idle inside a transaction for 60 s, and Django may hand such a connection to a request, which then fails. Raise idle_in_transaction_session_timeout above 330 s, or lower conn_max_age below 30 s. This plan fixes it.

# aws:eu-west-1:parameter-group/missing (profile orders)
  error: DescribeDBParameterGroups failed: DBParameterGroupNotFound

Plan: 3 to change (1 need a restart) on 1 of 2 target(s), 0 refused, 1 error(s).
"""


def rendered(draw) -> str:  # type: ignore[no-untyped-def]
    buffer = io.StringIO()
    draw(Console(file=buffer, width=100, soft_wrap=True, color_system=None))
    return buffer.getvalue()


def test_plan_text_golden() -> None:
    state = TargetState(
        "aws:eu-west-1:parameter-group/orders-pg16",
        Engine.POSTGRES,
        {
            "idle_session_timeout": ParameterState("idle_session_timeout", None),
            "idle_in_transaction_session_timeout": ParameterState(
                "idle_in_transaction_session_timeout", "60000"
            ),
            "statement_timeout": ParameterState("statement_timeout", "30000"),
            "tcp_keepalives_idle": ParameterState(
                "tcp_keepalives_idle", None, apply_type=ApplyType.STATIC
            ),
        },
        version="postgres16",
    )
    first, second = PROFILE.targets
    plan = Plan(
        (
            build_target_plan(PROFILE, first, state),
            failed_target_plan(
                PROFILE, second, "DescribeDBParameterGroups failed: DBParameterGroupNotFound"
            ),
        )
    )
    assert rendered(lambda console: render.plan_text(plan, console)) == GOLDEN_PLAN


def test_apply_text_golden() -> None:
    result = ApplyResult(
        (
            TargetResult(
                "aws:eu-west-1:parameter-group/orders-pg16",
                "applied",
                written=("idle_session_timeout", "tcp_keepalives_idle"),
                pending_restart=("tcp_keepalives_idle",),
                notes=("instance orders-db uses orders-pg16: pending-reboot",),
            ),
            TargetResult(
                "aws:eu-west-1:parameter-group/other",
                "changed-since-plan",
                error="changed since the plan; nothing was written there (run plan again)",
            ),
            TargetResult("aws:eu-west-1:parameter-group/same", "unchanged"),
        )
    )
    assert rendered(lambda console: render.apply_text(result, console)) == (
        "# aws:eu-west-1:parameter-group/orders-pg16: applied\n"
        "  written and verified: idle_session_timeout, tcp_keepalives_idle\n"
        "  waiting for a reboot you schedule: tcp_keepalives_idle\n"
        "  instance orders-db uses orders-pg16: pending-reboot\n"
        "# aws:eu-west-1:parameter-group/other: changed-since-plan\n"
        "  error: changed since the plan; nothing was written there (run plan again)\n"
        "Apply: 2 parameter(s) written, 1 target(s) not applied.\n"
    )
