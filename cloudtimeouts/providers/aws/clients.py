"""Sessions, credentials and RDS clients: one client per credentials and region, with its budget.

Credentials come from boto3's standard chain (a session per `aws_profile`), and for a target with
`role_arn` from STS AssumeRole on them. One client serves every target of an account and region,
and it is made once, under a lock: the first target's AssumeRole is the one every target of that
role waits for, and a target that waits on it is said to wait on STS (`waiting`).

Retries and time (AWS SDKs and Tools Reference Guide, "Retry behavior"; botocore "Retries"): the
standard mode retries throttling errors, 5xx answers and connection failures with jittered
exponential back-off (base 1 s for throttling, 50 ms otherwise, at most 20 s), and honours
`x-amz-retry-after`. AWS_MAX_ATTEMPTS counts every attempt, the first included. Every attempt has a
connect and a read timeout, and the read timeout shrinks as the attempts grow so that all the
attempts of one call fit in `CALLS.total_s`: an unresponsive endpoint ends a target with an error
well within the 60 s the README promises, without relying on the orchestration's deadline.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.config

from cloudtimeouts.providers.aws.errors import translated
from cloudtimeouts.providers.aws.fleet import ClientKey, client_key
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.providers.budget import CallBudget

# botocore's standard mode spaces its retries itself (the back-off above; not a setting): the
# budget's back-off fields say what it does. `read_s` is the longest read timeout of one attempt.
CALLS = CallBudget(
    connect_s=5.0, read_s=30.0, total_s=50.0, attempts=6, backoff_s=0.05, backoff_max_s=20.0
)
MIN_READ_TIMEOUT_S = 5.0  # RDS answers in well under a second; this is the floor per attempt
BACKOFF_ALLOWANCE_S = 2.0  # standard mode's non-throttling back-off over 5 retries: < 1.6 s
# One client serves every target of an account and region, and the orchestration runs up to 64
# targets at once in all (concurrency.MAX_THREADS; --concurrency per account and region is at
# most that): botocore's pool of 10 would make the 11th call wait for a connection.
POOL_CONNECTIONS = 64

SessionFactory = Callable[[str | None], boto3.session.Session]


def client_config() -> botocore.config.Config:
    """botocore's settings for `CALLS`, with AWS_MAX_ATTEMPTS and AWS_RETRY_MODE honoured."""
    default = CALLS.attempts or 1
    attempts = max(1, int(os.environ.get("AWS_MAX_ATTEMPTS", str(default))))
    return botocore.config.Config(
        retries={
            "mode": os.environ.get("AWS_RETRY_MODE", "standard"),  # type: ignore[typeddict-item]
            # AWS_MAX_ATTEMPTS counts every attempt, the first included (botocore's
            # total_max_attempts; its `max_attempts` key would count retries only).
            "total_max_attempts": attempts,
        },
        connect_timeout=CALLS.connect_s,
        read_timeout=read_timeout(attempts),
        max_pool_connections=POOL_CONNECTIONS,
        user_agent_extra="cloudtimeouts",
    )


def read_timeout(attempts: int) -> float:
    """The read timeout of one attempt, so that `attempts` silent attempts fit the call's budget.

    6 attempts (the default): 8 s each; 2 attempts: 24 s; a single one: 30 s. Past about ten
    attempts the floor wins and the orchestration's --timeout is what ends a silent target.
    """
    share = (CALLS.total_s - BACKOFF_ALLOWANCE_S) / max(1, attempts)
    return max(MIN_READ_TIMEOUT_S, min(CALLS.read_s, share))


class Clients:
    """The RDS clients of one adapter, one per (region, profile, role); thread-safe."""

    def __init__(self, session_factory: SessionFactory | None = None) -> None:
        self._session_factory = session_factory or (
            lambda profile: boto3.session.Session(profile_name=profile)
        )
        self._clients: dict[ClientKey, Any] = {}
        self._lock = threading.Lock()
        # target id -> the endpoint (STS) its client's creation waits on, for `endpoint`
        self.waiting: dict[str, str] = {}

    def rds(self, target: AwsTarget) -> Any:
        key = client_key(target)
        with self._lock, translated(target, "create an RDS client"):
            if key not in self._clients:
                session = self._session_factory(target.aws_profile)
                if target.role_arn:
                    waiting = functools.partial(self.waiting.__setitem__, target.id)
                    try:
                        session = assumed_role_session(session, target, client_config(), waiting)
                    finally:
                        self.waiting.pop(target.id, None)
                self._clients[key] = session.client(
                    "rds", region_name=target.region, config=client_config()
                )
            return self._clients[key]


def assumed_role_session(
    session: boto3.session.Session,
    target: AwsTarget,
    config: botocore.config.Config,
    waiting: Callable[[str], None] = lambda where: None,
) -> boto3.session.Session:
    """A session on `target.role_arn`'s credentials; `waiting` is told the STS endpoint first, so
    that a target whose AssumeRole goes unanswered is said to wait on STS, not on RDS."""
    sts = session.client("sts", region_name=target.region, config=config)
    where = sts.meta.endpoint_url
    waiting(where)
    with translated(target, "AssumeRole", where):
        credentials = sts.assume_role(
            RoleArn=target.role_arn, RoleSessionName="cloudtimeouts", DurationSeconds=3600
        )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=target.region,
    )
