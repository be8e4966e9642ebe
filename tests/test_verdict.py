"""verdict: the guard over the values in force on every instance a target reaches.

Each test here is one class of state the guard used to pass (or refuse) against the engines' and
providers' rules (docs/guard.md); they run on plain TargetStates, with no cloud.
"""

from __future__ import annotations

from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.model import GroupLayer, MemberState, ParameterState, TargetState
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.plan import TargetPlan, build_target_plan
from cloudtimeouts.profile import Profile, parse_profile
from cloudtimeouts.verdict import neighbours_of

CLUSTER = "aws:eu-west-1:cluster-parameter-group/search-aurora"
MEMBERS = "aws:eu-west-1:parameter-group/search-instances"


def profile(
    name: str, target: str, server: str = "", django: str = "{conn_max_age: 5min}", **extra: str
) -> Profile:
    more = "".join(f"{key}: {value}\n" for key, value in extra.items())
    return parse_profile(
        f"name: {name}\nengine: postgres\ndjango: {django}\nserver: {{{server}}}\n{more}"
        f"targets:\n  - {{provider: aws, region: eu-west-1, {target}}}\n",
        f"{name}.yaml",
    )


def state(target_id: str, *members: MemberState, **values: str) -> TargetState:
    has = {name: ParameterState(name) for name in parameters(Engine.POSTGRES)}
    set_ = {name: ParameterState(name, value) for name, value in values.items()}
    return TargetState(
        target_id, Engine.POSTGRES, has | set_, version="aurora-postgresql14", members=members
    )


def layer(key: str, label: str, **values: str) -> GroupLayer:
    return GroupLayer(key, label, {n: ParameterState(n, v) for n, v in values.items()})


def planned(p: Profile, s: TargetState, *others: Profile) -> TargetPlan:
    return build_target_plan(p, p.targets[0], s, neighbours_of([p, *others]))


def test_a_members_group_is_judged_with_what_its_members_inherit_from_the_cluster_group() -> None:
    members = profile("search", "parameter_group: search-instances")
    inherits = MemberState(
        "search-1 (cluster search)",
        below=(
            layer(
                CLUSTER, "DB cluster parameter group search-aurora", idle_session_timeout="60000"
            ),
        ),
        platform="aurora-postgresql14",
    )
    (refusal,) = planned(members, state(MEMBERS, inherits)).refusals
    assert refusal.parameter == "idle_session_timeout"
    assert "member search-1 (cluster search)" in refusal.message
    assert "set on DB cluster parameter group search-aurora" in refusal.message
    # the members' own group overrides the cluster's: setting it there makes the members safe
    fixed = profile("search", "parameter_group: search-instances", "idle_session_timeout: 10min")
    assert planned(fixed, state(MEMBERS, inherits)).refusals == ()


def test_two_profiles_on_one_database_are_judged_together_and_both_are_named() -> None:
    cluster = profile("orders", "cluster_parameter_group: search-aurora")
    lowering = profile(
        "reports",
        "parameter_group: search-instances",
        "idle_session_timeout: 2min",
        django="{conn_max_age: 60}",
    )
    member = MemberState(
        "search-1 (cluster search)",
        above=(layer(MEMBERS, "DB parameter group search-instances"),),
        platform="aurora-postgresql14",
    )
    alone = planned(cluster, state(CLUSTER, member))
    assert alone.refusals == ()  # the members' group sets nothing today
    together = planned(cluster, state(CLUSTER, member), lowering)
    (refusal,) = together.refusals
    assert "from profile reports, on DB parameter group search-instances" in refusal.message
    assert refusal.message.startswith(f"{CLUSTER} member search-1 (cluster search)")
    assert together.profile.name == "orders"
    # and from the other side: the members' group's plan judges the cluster profile's Django
    below = MemberState(
        "search-1 (cluster search)",
        below=(layer(CLUSTER, "DB cluster parameter group search-aurora"),),
        platform="aurora-postgresql14",
    )
    (other,) = planned(lowering, state(MEMBERS, below), cluster).refusals
    assert "for profile orders's Django" in other.message
    assert "from profile reports" in other.message


def test_a_profile_left_out_with_target_keeps_its_current_values_but_its_django_is_judged() -> None:
    cluster = profile("orders", "cluster_parameter_group: search-aurora")
    lowering = profile("reports", "parameter_group: search-instances", "idle_session_timeout: 2min")
    member = MemberState(
        "search-1 (cluster search)",
        above=(layer(MEMBERS, "DB parameter group search-instances"),),
    )
    neighbours = neighbours_of([cluster, lowering], {cluster.targets[0].key})
    result = build_target_plan(cluster, cluster.targets[0], state(CLUSTER, member), neighbours)
    assert result.refusals == ()  # reports' 2 min is not written by this run


def test_keepalive_credit_uses_the_value_in_force_not_the_declared_one() -> None:
    lb = "[{kind: load-balancer, name: nlb, provider: azure}]"  # 240 s, dropped silently
    declared = profile(
        "orders", "parameter_group: g", "tcp_keepalives_idle: 60", path=lb
    )  # the profile sets it: in force after the plan, credited
    target = "aws:eu-west-1:parameter-group/g"
    assert planned(declared, state(target, tcp_keepalives_idle="7200")).refusals == ()
    undeclared = profile("orders", "parameter_group: g", path=lb)
    result = planned(undeclared, state(target, tcp_keepalives_idle="7200"))
    assert [r.parameter for r in result.refusals] == ["nlb.idle_timeout"]
    # a member whose own group sets 7200 s: the worst instance decides, no credit
    member = MemberState(
        "search-1 (cluster search)",
        above=(layer(MEMBERS, "DB parameter group x", tcp_keepalives_idle="7200"),),
    )
    on_cluster = profile(
        "orders", "cluster_parameter_group: search-aurora", "tcp_keepalives_idle: 60", path=lb
    )
    result = planned(on_cluster, state(CLUSTER, member))
    assert [r.parameter for r in result.refusals] == ["nlb.idle_timeout"]


def test_an_rds_proxy_target_keeps_the_refusals_of_hops_whose_names_start_like_it() -> None:
    proxied = parse_profile(
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 10min}\n"
        "server: {tcp_keepalives_idle: 0}\n"  # no server keepalive keeps the NLB open
        "path: [{kind: rds-proxy, name: p1, idle_client_timeout: 1h},"
        " {kind: load-balancer, name: p1.nlb, provider: aws}]\n"
        "targets: [{provider: aws, region: eu-west-1, rds_proxy: p1}]\n",
        "orders.yaml",
    )
    proxy = TargetState(
        "aws:eu-west-1:rds-proxy/p1",
        Engine.POSTGRES,
        {"idle_client_timeout": ParameterState("idle_client_timeout", "1800")},
    )
    result = build_target_plan(proxied, proxied.targets[0], proxy)
    assert [r.parameter for r in result.refusals] == ["p1.nlb.idle_timeout"]  # 350 s < 10 min


def test_interactive_timeout_is_judged_on_aurora_mysql_only() -> None:
    def mysql(target: str) -> Profile:
        return parse_profile(
            "name: orders\nengine: mysql\ndjango: {conn_max_age: 10min}\n"
            f"targets: [{{provider: aws, region: eu-west-1, {target}}}]\n",
            "orders.yaml",
        )

    def read(version: str) -> TargetState:
        has = {name: ParameterState(name) for name in parameters(Engine.MYSQL)}
        values = {"wait_timeout": "28800", "interactive_timeout": "300"}
        return TargetState(
            "aws:eu-west-1:parameter-group/g",
            Engine.MYSQL,
            has | {n: ParameterState(n, v) for n, v in values.items()},
            version=version,
        )

    rds = mysql("parameter_group: g")
    result = build_target_plan(rds, rds.targets[0], read("mysql8.0"))
    assert result.refusals == ()
    (note,) = [w for w in result.warnings if w.parameter == "interactive_timeout"]
    assert "CLIENT_INTERACTIVE" in note.message
    aurora = build_target_plan(rds, rds.targets[0], read("aurora-mysql8.0"))
    assert [r.parameter for r in aurora.refusals] == ["interactive_timeout"]
    interactive = parse_profile(
        "name: orders\nengine: mysql\ndjango: {conn_max_age: 10min, interactive_client: true}\n"
        "targets: [{provider: aws, region: eu-west-1, parameter_group: g}]\n",
        "orders.yaml",
    )
    flagged = build_target_plan(interactive, interactive.targets[0], read("mysql8.0"))
    assert [r.parameter for r in flagged.refusals] == ["interactive_timeout"]


def test_an_undeclared_transaction_budget_is_a_note_never_a_silent_pass() -> None:
    zero = profile(
        "orders",
        "parameter_group: g",
        "idle_session_timeout: 0, idle_in_transaction_session_timeout: 1ms",
        django="{conn_max_age: 0}",
    )
    verdict = judge_offline(zero)
    assert verdict.refusals == ()
    notes = verdict.notes
    (note,) = notes
    assert note.parameter == "idle_in_transaction_session_timeout"
    assert "declares no django.max_idle_in_transaction" in note.message
    declared = profile(
        "orders",
        "parameter_group: g",
        "idle_session_timeout: 0, idle_in_transaction_session_timeout: 1ms",
        django="{conn_max_age: 0, max_idle_in_transaction: 5s}",
    )
    refusals = judge_offline(declared).refusals
    assert [r.parameter for r in refusals] == ["idle_in_transaction_session_timeout"]


def test_an_azure_pgbouncer_value_that_cannot_be_judged_is_said_not_the_default() -> None:
    azure = parse_profile(
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 5min}\n"
        "path: [{kind: azure-pgbouncer, name: pgb}]\n"
        "targets: [{provider: azure, subscription_id: 00000000-0000-0000-0000-000000000000,"
        " resource_group: prod, server: orders-pg}]\n",
        "orders.yaml",
    )
    has = {name: ParameterState(name) for name in parameters(Engine.POSTGRES)}
    name = "pgbouncer.server_idle_timeout"
    read = TargetState(
        azure.targets[0].id, Engine.POSTGRES, has | {name: ParameterState(name, "10s")}
    )
    result = build_target_plan(azure, azure.targets[0], read)
    assert result.refusals == ()  # it closes only the pooler's server connections
    (note,) = [w for w in result.warnings if w.parameter == name]
    assert "'10s' is not a number" in note.message and "Django never sees" in note.message


def test_validate_credits_the_keepalive_in_force_on_the_targets_as_plan_does() -> None:
    # An RDS target at its defaults sends keepalives after 300 s (catalog: tcp_keepalives_idle),
    # which keep a 350 s NLB open: plan says so, and validate, knowing the same facts offline
    # (the profile's values, else the defaults on the targets' providers), must agree.
    nlb = "[{kind: load-balancer, name: nlb, provider: aws}]"
    at_defaults = profile("orders", "parameter_group: g", django="{conn_max_age: 10min}", path=nlb)
    target = "aws:eu-west-1:parameter-group/g"
    assert planned(at_defaults, state(target)).refusals == ()
    verdict = judge_offline(at_defaults)
    assert verdict.refusals == ()
    notes = verdict.notes
    assert "tcp_keepalives_idle 300 s (the default in effect on aws)" in notes[0].message
    # with no target, or one whose default sends none (Cloud SQL keeps the OS's 2 h), no credit
    alone = parse_profile(
        f"name: orders\nengine: postgres\ndjango: {{conn_max_age: 10min}}\npath: {nlb}\n"
    )
    assert [r.parameter for r in judge_offline(alone).refusals] == ["nlb.idle_timeout"]
    both = parse_profile(
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 10min}\n"
        f"path: {nlb}\ntargets:\n  - {{provider: aws, region: eu-west-1, parameter_group: g}}\n"
        "  - {provider: gcp, project: proj-1, instance: db}\n"
    )
    assert [r.parameter for r in judge_offline(both).refusals] == ["nlb.idle_timeout"]
