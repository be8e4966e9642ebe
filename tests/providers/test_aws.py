"""AWS specifics the contract suite does not cover: pagination, batches, apply methods, groups,
credentials and error mapping. Requests are observed with botocore's event hooks or Stubber; the
`aws` fixture is the realistic RDS emulator (every group lists its family's whole catalogue)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from support import vendor

from cloudtimeouts.catalog import Engine
from cloudtimeouts.durations import NativeUnit
from cloudtimeouts.errors import (
    ProviderAPIError,
    ProviderAuthError,
    TargetNotAllowedError,
)
from cloudtimeouts.model import Change
from cloudtimeouts.providers.aws import MAX_PARAMETERS_PER_MODIFY, PAGE_SIZE, AwsAdapter
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.sandbox.ranges import parse_range
from cloudtimeouts.sandbox.rds import family_catalogue

REGION = "eu-west-1"


def _target(**group: str) -> AwsTarget:
    return AwsTarget(provider="aws", region=REGION, **group)  # type: ignore[arg-type]


class RecordingSession:
    """A real boto3 session whose RDS requests are recorded before they are sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.session = boto3.session.Session()
        self.session.events.register("provide-client-params.rds.*", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.requests.append((model.name, dict(params)))

    def factory(self, profile: str | None) -> boto3.session.Session:
        return self.session

    def calls(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.requests if name == operation]


def _stub_session() -> tuple[Any, Stubber]:
    client = boto3.client(
        "rds", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
    )

    class Session:
        def client(self, *args: Any, **kwargs: Any) -> Any:
            return client

    return Session(), Stubber(client)


def _aws_page(names: list[str], marker: str | None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "Parameters": [
            {
                "ParameterName": name,
                "ParameterValue": "0",
                "Source": "engine-default",
                "ApplyType": "dynamic",
                "DataType": "integer",
                "AllowedValues": "0-2147483647",
                "IsModifiable": True,
                "ApplyMethod": "pending-reboot",
            }
            for name in names
        ]
    }
    if marker:
        page["Marker"] = marker
    return page


def test_read_follows_every_page_with_the_largest_page_size() -> None:
    assert "maximum 100" in vendor.rds_doc("DescribeDBParametersMessage", "MaxRecords")
    session, stubber = _stub_session()
    group = {"DBParameterGroupName": "orders", "DBParameterGroupFamily": "postgres16"}
    stubber.add_response(
        "describe_db_parameter_groups",
        {"DBParameterGroups": [group]},
        {"DBParameterGroupName": "orders"},
    )
    filler = [f"param_{index:03d}" for index in range(250)]
    pages = [
        ([*filler[:99], "idle_session_timeout"], None, "m1"),
        ([*filler[99:199], "statement_timeout"], "m1", "m2"),
        ([*filler[199:], "lock_timeout"], "m2", None),
    ]
    for names, marker_in, marker_out in pages:
        expected = {"DBParameterGroupName": "orders", "MaxRecords": PAGE_SIZE}
        if marker_in:
            expected["Marker"] = marker_in
        stubber.add_response("describe_db_parameters", _aws_page(names, marker_out), expected)
    with stubber:
        state = AwsAdapter(lambda profile: session).read(
            _target(parameter_group="orders"),
            Engine.POSTGRES,
            ["idle_session_timeout", "statement_timeout", "lock_timeout"],
        )
        stubber.assert_no_pending_responses()
    assert set(state.parameters) == {"idle_session_timeout", "statement_timeout", "lock_timeout"}
    assert state.parameters["lock_timeout"].value_is_default
    assert state.parameters["lock_timeout"].allowed is not None


def test_read_against_the_emulator_asks_for_pages_of_100(aws: Any) -> None:
    aws.create_group("orders", "postgres16")
    recorder = RecordingSession()
    AwsAdapter(recorder.factory).read(
        _target(parameter_group="orders"), Engine.POSTGRES, ["idle_session_timeout"]
    )
    calls = recorder.calls("DescribeDBParameters")
    assert len(calls) == math.ceil(len(family_catalogue("postgres16")) / 100) >= 2
    assert all(call["MaxRecords"] == 100 for call in calls)


def _changes(count: int) -> list[Change]:
    """`count` writable dynamic integer parameters of postgres16, each set to its lowest value."""
    changes = []
    for parameter in family_catalogue("postgres16").values():
        bounds = parse_range(parameter.allowed or "")
        dynamic = parameter.apply_type == "dynamic" and parameter.modifiable
        if dynamic and parameter.data_type == "integer" and bounds:
            lowest = str(bounds[0])
            changes.append(
                Change(
                    parameter.name,
                    "",
                    "default",
                    lowest,
                    NativeUnit.MILLISECONDS,
                    "immediate",
                    "test",
                )
            )
    assert len(changes) >= count
    return changes[:count]


def test_write_sends_at_most_20_parameters_per_request(aws: Any) -> None:
    assert "A maximum of 20 parameters can be modified in a single request." in (
        vendor.rds_operation_doc("ModifyDBParameterGroup")
    )
    aws.create_group("orders", "postgres16")
    recorder = RecordingSession()
    adapter = AwsAdapter(recorder.factory)
    target = _target(parameter_group="orders")
    state = adapter.read(target, Engine.POSTGRES, [])
    outcome = adapter.write(target, state, _changes(45))
    sizes = [len(call["Parameters"]) for call in recorder.calls("ModifyDBParameterGroup")]
    assert sizes == [20, 20, 5]
    assert max(sizes) <= MAX_PARAMETERS_PER_MODIFY
    assert len(outcome.written) == 45


def test_static_parameters_are_written_pending_reboot_and_dynamic_ones_immediately(
    aws: Any,
) -> None:
    documented = vendor.rds_doc("ModifyDBParameterGroupMessage", "Parameters")
    assert "You can use the immediate value with dynamic parameters only." in documented
    aws.create_group("orders", "postgres16")
    recorder = RecordingSession()
    adapter = AwsAdapter(recorder.factory)
    target = _target(parameter_group="orders")
    state = adapter.read(target, Engine.POSTGRES, [])
    changes = [
        Change(
            "statement_timeout",
            "0",
            "default",
            "30000",
            NativeUnit.MILLISECONDS,
            "immediate",
            "test",
        ),
        Change(
            "tcp_keepalives_idle", "300", "default", "60", NativeUnit.SECONDS, "restart", "test"
        ),
    ]
    outcome = adapter.write(target, state, changes)
    (call,) = recorder.calls("ModifyDBParameterGroup")
    methods = {p["ParameterName"]: p["ApplyMethod"] for p in call["Parameters"]}
    assert methods == {"statement_timeout": "immediate", "tcp_keepalives_idle": "pending-reboot"}
    assert outcome.pending_restart == ("tcp_keepalives_idle",)


def test_a_default_group_is_refused_with_what_to_do_instead(aws: Any) -> None:
    with pytest.raises(TargetNotAllowedError) as raised:  # default.postgres16 exists, read-only
        AwsAdapter().read(
            _target(parameter_group="default.postgres16"), Engine.POSTGRES, ["lock_timeout"]
        )
    assert "default parameter group" in raised.value.message
    assert raised.value.hint and "copy-db-parameter-group" in raised.value.hint


@pytest.mark.parametrize(
    ("family", "engine", "accepted"),
    [
        ("postgres16", Engine.POSTGRES, True),
        ("aurora-postgresql16", Engine.POSTGRES, True),
        ("mysql8.0", Engine.MYSQL, True),
        ("aurora-mysql8.0", Engine.MYSQL, True),
        ("mariadb10.11", Engine.MARIADB, True),
        ("mysql8.0", Engine.POSTGRES, False),
        ("mariadb10.11", Engine.MYSQL, False),
        ("postgres16", Engine.MARIADB, False),
    ],
)
def test_the_group_family_must_match_the_engine(
    aws: Any, family: str, engine: Engine, accepted: bool
) -> None:
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_parameter_group(
        DBParameterGroupName="grp", DBParameterGroupFamily=family, Description="test"
    )
    read = lambda: AwsAdapter().read(_target(parameter_group="grp"), engine, [])  # noqa: E731
    if accepted:
        assert read().version == family
    else:
        with pytest.raises(TargetNotAllowedError, match=family):
            read()


def test_cluster_parameter_groups_are_read_and_written(aws: Any) -> None:
    rds = boto3.client("rds", region_name=REGION)
    aws.create_group(
        "orders-aurora", "aurora-postgresql16", {"idle_session_timeout": "60000"}, cluster=True
    )
    adapter = AwsAdapter()
    target = _target(cluster_parameter_group="orders-aurora")
    state = adapter.read(target, Engine.POSTGRES, ["idle_session_timeout"])
    assert state.parameters["idle_session_timeout"].value == "60000"
    adapter.write(
        target,
        state,
        [
            Change(
                "idle_session_timeout",
                "60000",
                "target",
                "900000",
                NativeUnit.MILLISECONDS,
                "immediate",
                "test",
            )
        ],
    )
    stored = rds.describe_db_cluster_parameters(DBClusterParameterGroupName="orders-aurora")
    values = {p["ParameterName"]: p.get("ParameterValue") for p in stored["Parameters"]}
    assert values["idle_session_timeout"] == "900000"


def test_instances_using_the_group_are_reported_after_a_write(aws: Any) -> None:
    rds = boto3.client("rds", region_name=REGION)
    aws.create_group("orders", "postgres16")
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        EngineVersion="16.3",
        DBParameterGroupName="orders",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )
    adapter = AwsAdapter()
    target = _target(parameter_group="orders")
    state = adapter.read(target, Engine.POSTGRES, [])
    outcome = adapter.write(
        target,
        state,
        [Change("lock_timeout", "0", "default", "5000", NativeUnit.MILLISECONDS, "immediate", "t")],
    )
    assert any("instance orders-db uses orders" in note for note in outcome.notes)


def test_role_arn_assumes_the_role_through_sts(aws: Any) -> None:
    aws.create_group("orders", "postgres16", {"lock_timeout": "5000"})
    recorder_session = boto3.session.Session()
    seen: list[str] = []
    recorder_session.events.register(
        "provide-client-params.sts.AssumeRole",
        lambda params, **_: seen.append(params["RoleArn"]),
    )
    role = "arn:aws:iam::123456789012:role/cloudtimeouts"
    state = AwsAdapter(lambda profile: recorder_session).read(
        _target(parameter_group="orders", role_arn=role), Engine.POSTGRES, ["lock_timeout"]
    )
    assert seen == [role]
    assert state.parameters["lock_timeout"].value == "5000"


def test_aws_profile_selects_the_named_profile(
    aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.create_group("orders", "postgres16")
    credentials = tmp_path / "credentials"
    credentials.write_text("[prod]\naws_access_key_id = AKIDPROD\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    target = AwsTarget(provider="aws", region=REGION, parameter_group="orders", aws_profile="prod")
    assert AwsAdapter().read(target, Engine.POSTGRES, []).version == "postgres16"
    missing = AwsTarget(provider="aws", region=REGION, parameter_group="orders", aws_profile="nope")
    with pytest.raises(ProviderAuthError, match="nope"):
        AwsAdapter().read(missing, Engine.POSTGRES, [])


def test_missing_credentials_are_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS", "http://127.0.0.1:9")
    with pytest.raises(ProviderAuthError) as raised:
        AwsAdapter().read(_target(parameter_group="orders"), Engine.POSTGRES, [])
    assert "no usable AWS credentials" in raised.value.message
    assert raised.value.hint and "AWS_PROFILE" in raised.value.hint


@pytest.mark.parametrize(
    ("code", "error_type", "hint_part"),
    [
        ("AccessDenied", ProviderAuthError, "rds:DescribeDBParameterGroups"),
        ("Throttling", ProviderAPIError, "AWS_RETRY_MODE=adaptive"),
        ("InternalFailure", ProviderAPIError, None),
    ],
)
def test_api_errors_are_mapped_by_code(
    code: str, error_type: type[Exception], hint_part: str | None
) -> None:
    session, stubber = _stub_session()
    stubber.add_client_error(
        "describe_db_parameter_groups",
        service_error_code=code,
        service_message="what AWS said",
        http_status_code=400,
    )
    with stubber, pytest.raises(error_type) as raised:
        AwsAdapter(lambda profile: session).read(
            _target(parameter_group="orders"), Engine.POSTGRES, []
        )
    message = raised.value.message  # type: ignore[attr-defined]
    assert code in message and "what AWS said" in message
    assert "aws:eu-west-1:parameter-group/orders" in message
    if hint_part:
        assert hint_part in (raised.value.hint or "")  # type: ignore[attr-defined]


def test_aurora_postgresql_reads_the_idle_in_transaction_timeout_aws_sets(aws: Any) -> None:
    """Aurora PostgreSQL lists idle_in_transaction_session_timeout = 86400000 with Source system,
    and no lock_timeout (Aurora User Guide, AuroraPostgreSQL.Reference.ParameterGroups): AWS's
    recorded listing for Aurora PostgreSQL 14 shows it; the emulator's 16 is read here."""
    recorded = vendor.recorded_aurora_postgresql14()
    idle = recorded["idle_in_transaction_session_timeout"]
    assert (idle["ParameterValue"], idle["Source"]) == ("86400000", "system")
    assert "lock_timeout" not in recorded
    aws.create_group("search", "aurora-postgresql16", cluster=True)
    state = AwsAdapter().read(
        _target(cluster_parameter_group="search"),
        Engine.POSTGRES,
        ["idle_in_transaction_session_timeout", "lock_timeout"],
    )
    idle = state.parameters["idle_in_transaction_session_timeout"]
    assert (idle.value, idle.value_is_default) == ("86400000", True)
    assert "lock_timeout" not in state.parameters
