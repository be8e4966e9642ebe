"""AWS as the core sees it: RDS and Aurora's targets, defaults, platforms, hops and network.

Imports no SDK: the profile and the offline guard read it; the adapter is loaded on first read.
"""

from __future__ import annotations

from cloudtimeouts.catalog import Engine, ParameterSpec, Role
from cloudtimeouts.cloud import Cloud, LogPrefix, Network, Platform
from cloudtimeouts.durations import Duration, NativeUnit
from cloudtimeouts.hops import HopKind, HopTimeout
from cloudtimeouts.providers.aws.target import AURORA_MYSQL, AURORA_POSTGRESQL, AwsTarget


def _s(seconds: int) -> Duration:
    return Duration.of_seconds(seconds)


# RDS Proxy's IdleClientTimeout, managed on an `rds_proxy` target: seconds, default 1,800 (RDS User
# Guide, "RDS Proxy connection considerations": "The default is 1,800 seconds (30 minutes)"), 1 s
# to 8 h (the console's range).
IDLE_CLIENT_TIMEOUT = ParameterSpec(
    "idle_client_timeout",
    NativeUnit.SECONDS,
    Role.IDLE,
    _s(1),
    _s(28_800),
    _s(1_800),
    "closes client connections idle this long (RDS Proxy)",
)

RDS_PROXY = HopKind(
    "rds-proxy",
    (HopTimeout("idle_client_timeout", "client", _s(1800)),),
    "an RDS Proxy",
    "terminates",  # it ends Django's connection and pools its own to the database
    cloud="aws",
    written_on="target",
    parameters={"idle_client_timeout": IDLE_CLIENT_TIMEOUT},
)
# RDS and Aurora PostgreSQL write `log_line_prefix = '%t:%r:%u@%d:[%p]:'` (Amazon RDS User Guide,
# "PostgreSQL database log files" and "Using pgBadger": `pgbadger -p '%t:%r:%u@%d:[%p]:'`).
RDS_POSTGRES_LOG = LogPrefix(
    "rds-postgres", r":(?P<remote>.*?):(?P<user>[^:@]*)@(?P<db>[^:]*):\[(?P<pid>\d+)\]:"
)


CLOUD = Cloud(
    name="aws",
    target=AwsTarget,
    engines=frozenset(Engine),
    adapter="cloudtimeouts.providers.aws:AwsAdapter",
    terraform="cloudtimeouts.providers.aws.terraform:TERRAFORM",
    imports="cloudtimeouts.providers.aws.imports:IMPORTS",
    # DescribeDBLogFiles and DownloadDBLogFilePortion (`logs`), through the face like the adapter
    logs="cloudtimeouts.providers.aws:server_logs",
    log_prefixes=(RDS_POSTGRES_LOG,),
    # "Dead connection handling in PostgreSQL" (RDS User Guide,
    # Appendix.PostgreSQL.CommonDBATasks.DeadConnectionHandling): RDS sets tcp_keepalives_idle
    # 300 s and tcp_keepalives_interval 30 s. RDS MySQL keeps the engine's defaults (AWS blog "Best
    # practices for configuring parameters for Amazon RDS for MySQL, part 3").
    defaults={"tcp_keepalives_idle": _s(300), "tcp_keepalives_interval": _s(30)},
    platforms=(
        Platform(
            AURORA_POSTGRESQL,
            Engine.POSTGRES,
            "Aurora PostgreSQL",
            "Aurora User Guide, AuroraPostgreSQL.Reference.ParameterGroups",
            # idle_in_transaction_session_timeout 86400000 ms (24 h), Source `system` (Aurora User
            # Guide, AuroraPostgreSQL.Reference.ParameterGroups).
            defaults={"idle_in_transaction_session_timeout": Duration(86_400_000_000)},
        ),
        Platform(
            AURORA_MYSQL,
            Engine.MYSQL,
            "Aurora MySQL",
            "Aurora User Guide, AuroraMySQL.Reference.ParameterGroups",
            # "Aurora evaluates the minimum value of wait_timeout and interactive_timeout" for
            # every session (Aurora User Guide, AuroraMySQL.Reference.ParameterGroups,
            # "interactive_timeout" and "wait_timeout").
            interactive_closes=True,
            # Aurora MySQL's VERSION() carries `mysql_aurora` ("8.0.mysql_aurora.3.05.2"; Aurora
            # User Guide, "Checking Aurora MySQL versions").
            server_marker="mysql_aurora",
        ),
    ),
    network={
        # "The default idle timeout value for TCP flows is 350 seconds" (Elastic Load Balancing,
        # network/update-idle-timeout.html; 60-6000 s). "If a client attempts to send traffic after
        # the connection is no longer tracked, then NLB responds with a TCP RST" (ELB User Guide for
        # Network Load Balancers, "Connection idle timeout").
        "load-balancer": Network(_s(350), "reset"),
        # NAT gateway: idle timeout of 350 seconds (VPC User Guide, "NAT gateway basics"). "When a
        # connection times out, a NAT gateway returns an RST packet to any resources behind the NAT
        # gateway that attempt to continue the connection" (vpc-nat-comparison.html, "Timeout
        # behavior").
        "nat": Network(_s(350), "reset"),
    },
    hop_kinds=(RDS_PROXY,),
    sdk_roots=frozenset({"boto3", "botocore"}),
)
