"""Profiles: the typed contract between Django's CONN_MAX_AGE and the servers' timeouts.

`django.conn_max_age` is at most `CONN_MAX_AGE_MAX` = 2147483647 seconds (INT32_MAX s, about 68
years). Django computes `time.monotonic() + CONN_MAX_AGE` for every connection, so a value must
stay a number a float holds exactly and a clock can add without overflowing; 2147483647 is exact
as a float, longer than any idle timeout an engine allows (PostgreSQL's largest is INT_MAX
seconds, MySQL's a year), and what every Django database backend stores comfortably. Longer
lifetimes are spelled `unlimited` (Django's None). Every other duration in a profile (server
parameters, `guard.margin`) has the same ceiling (`durations.MAXIMUM`) before the engine's own
range is checked.

Loading is hostile-input safe: `load_profile` reads at most `MAX_PROFILE_BYTES`, and any file
(binary, not UTF-8, NUL bytes, a directory, unreadable, nested a thousand levels, an alias bomb,
numbers of thousands of digits, keys of a megabyte) ends in one ProfileError naming file:line,
at most `MAX_PROBLEMS` problems long, with user input quoted and shortened.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from operator import or_
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cloudtimeouts import yamlsource
from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.cloud import clouds
from cloudtimeouts.durations import Duration, DurationError, DurationTooLongError, shown
from cloudtimeouts.errors import CloudtimeoutsError, ProfileError
from cloudtimeouts.hops import kinds as hop_kinds
from cloudtimeouts.profile_fields import DURATION_PATTERN, DurationField
from cloudtimeouts.profile_messages import (
    CONN_MAX_AGE_OFF,
    MAX_IDLE_IN_TRANSACTION_OFF,
    POOL_OF_ZERO,
    conn_max_age_too_long,
    describe,
    key,
    matching,
    problem,
)
from cloudtimeouts.profile_path import MODELS, Hop
from cloudtimeouts.profile_targets import CloudTarget, Strict
from cloudtimeouts.profile_workers import Worker, unique_names

CONN_MAX_AGE_MAX = 2_147_483_647  # seconds: INT32_MAX, ~68 years; why: see the module docstring
MAX_PROFILE_BYTES = 1 << 20  # a real profile is under 4 KiB; more is refused unread
MAX_PROBLEMS = 20  # problems reported per file; the rest are counted


def _parse_conn_max_age(raw: object) -> int | None:
    if isinstance(raw, str) and raw.strip().lower() == "unlimited":
        return None
    if raw is None:
        raise PydanticCustomError(
            "conn_max_age", "conn_max_age needs a value: seconds, a duration, 0, or unlimited"
        )
    if isinstance(raw, str) and raw.strip().lower() in ("off", "disabled"):
        said = raw.strip()  # the word the profile wrote, not always "off"
        raise problem("conn_max_age", CONN_MAX_AGE_OFF.replace("off", said, 1))
    try:
        duration = Duration.parse(raw)
    except DurationTooLongError:
        raise problem("conn_max_age", conn_max_age_too_long(raw, CONN_MAX_AGE_MAX)) from None
    except DurationError as error:
        raise PydanticCustomError("duration", str(error)) from None
    whole, rest = divmod(duration.microseconds, 1_000_000)
    if rest:
        raise PydanticCustomError(
            "conn_max_age", f"conn_max_age is whole seconds in Django; {duration} is not"
        )
    if whole > CONN_MAX_AGE_MAX:
        raise problem("conn_max_age", conn_max_age_too_long(raw, CONN_MAX_AGE_MAX))
    return whole


def _not_off(raw: object) -> object:
    """A budget, not a timeout: "off" could mean "no idle gap" or "no limit", so it is refused."""
    if isinstance(raw, str) and raw.strip().lower() in ("off", "disabled"):
        said = raw.strip()  # the word the profile wrote, not always "off"
        raise problem(
            "max_idle_in_transaction", MAX_IDLE_IN_TRANSACTION_OFF.replace("off", said, 1)
        )
    return raw  # DurationField parses it


MaxIdleInTransaction = Annotated[  # a duration without off: the schema's pattern drops it
    DurationField,
    BeforeValidator(_not_off),
    WithJsonSchema(
        {
            "type": ["integer", "string"],
            "minimum": 0,
            "pattern": DURATION_PATTERN.replace("|off|disabled", ""),
            "description": "the longest the application leaves a transaction idle: 30s, 10min, "
            "a bare number of seconds, or 0 (never idle inside a transaction)",
        }
    ),
]

ConnMaxAge = Annotated[
    int | None,
    BeforeValidator(_parse_conn_max_age),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "description": "seconds"},
                {"type": "string", "pattern": DURATION_PATTERN.replace("|off|disabled", "")},
                {"const": "unlimited"},
            ],
            "description": "Django's CONN_MAX_AGE: seconds, a duration, 0 (close after each "
            "request) or unlimited (None)",
        }
    ),
]


class PoolSettings(Strict):
    """Django 5.1+ `OPTIONS["pool"]` for PostgreSQL: psycopg_pool.ConnectionPool's arguments.

    Defaults are psycopg_pool's (psycopg.org/psycopg3/docs/api/pool.html): min_size 4, max_size
    = min_size, max_idle 10 min, max_lifetime 1 h, timeout 30 s. max_idle closes only connections
    above min_size; the min_size ones live until max_lifetime unless checked on checkout, which
    Django asks for with CONN_HEALTH_CHECKS (check=ConnectionPool.check_connection).
    """

    min_size: Annotated[int, Field(ge=0, le=10_000)] = 4
    max_size: Annotated[int, Field(ge=1, le=10_000)] | None = None
    max_idle: DurationField = Duration.of_seconds(600)
    max_lifetime: DurationField = Duration.of_seconds(3600)
    timeout: DurationField = Duration.of_seconds(30)

    @model_validator(mode="after")
    def _sizes(self) -> PoolSettings:
        # psycopg_pool's own rule (psycopg_pool/base.py, BasePool._check_size): max_size None
        # becomes min_size; max_size < min_size and min_size == max_size == 0 are ValueErrors.
        if self.max_size is not None and self.max_size < self.min_size:
            raise PydanticCustomError(
                "pool", "pool.max_size must be at least pool.min_size (psycopg_pool refuses it)"
            )
        if self.min_size == 0 and self.max_size is None:
            raise problem("pool", POOL_OF_ZERO, parameter="min_size")
        return self


class DjangoSettings(Strict):
    conn_max_age: ConnMaxAge
    conn_health_checks: bool = True
    pool: PoolSettings | None = None
    # The longest the application leaves a transaction idle (between statements of one atomic()
    # block); transaction-idle timeouts are judged against it. Absent: against conn_max_age.
    max_idle_in_transaction: MaxIdleInTransaction | None = None
    # OPTIONS client_flag has CLIENT.INTERACTIVE: interactive_timeout applies (guard.py)
    interactive_client: bool = False
    keepalives_idle: DurationField | None = None  # libpq OPTIONS keepalives_idle (path_guard.py)

    @model_validator(mode="after")
    def _pool_without_persistent_connections(self) -> DjangoSettings:
        if self.pool is not None and self.conn_max_age != 0:
            raise PydanticCustomError(
                "pool",
                "django.pool needs conn_max_age: 0; Django refuses a pool with persistent "
                'connections too ("Pooling doesn\'t support persistent connections.")',
            )
        return self


# A `targets:` entry: one of the registered clouds' models, chosen by its `provider:`.
Target = Annotated[
    reduce(or_, (described.target for described in clouds().values())),  # type: ignore[valid-type]
    Field(discriminator="provider"),
]


class GuardSettings(Strict):
    margin: DurationField = Duration(0)


class Profile(Strict):
    """A profile as declared; values are validated against the catalog of its engine."""

    name: Annotated[
        str,
        matching(r"^[a-z0-9-]+$", "a name of lowercase letters, digits and '-'", max_length=63),
    ]
    engine: Engine
    django: DjangoSettings
    guard: GuardSettings = GuardSettings()
    # Factories written in Python, not `dict` and `list`: Pydantic reads a factory's signature,
    # and a builtin's is parsed from text by the tokenizer, whose regexes then compile (start-up).
    server: dict[str, DurationField] = Field(default_factory=lambda: {})
    path: list[Hop] = Field(default_factory=lambda: [])  # between Django and the server, in order
    targets: list[Target] = Field(default_factory=lambda: [])  # type: ignore[valid-type]
    # Processes outside the request cycle (profile_workers): each judged on its own budget.
    workers: list[Worker] = Field(default_factory=lambda: [])

    @model_validator(mode="after")
    def _pool_is_postgres_only(self) -> Profile:
        if self.django.pool is not None and self.engine is not Engine.POSTGRES:
            raise PydanticCustomError(
                "pool", "django.pool is Django's PostgreSQL pool (Django 5.1+, psycopg_pool)"
            )
        idle = self.django.keepalives_idle
        if idle is not None and (
            self.engine is not Engine.POSTGRES or idle.disabled or idle.microseconds % 1_000_000
        ):
            raise PydanticCustomError(
                "keepalives",
                "django.keepalives_idle is libpq's (PostgreSQL): a whole number of seconds",
            )
        return self

    @field_validator("server", mode="after")
    @classmethod
    def _known_parameters_in_range(
        cls, server: dict[str, Duration], info: ValidationInfo
    ) -> dict[str, Duration]:
        engine = info.data.get("engine")
        if engine is None:
            return server
        known = parameters(engine)
        for name, value in server.items():
            spec = known.get(name)
            if spec is None:
                message = (
                    f"{key(name)} is not a parameter cloudtimeouts manages for {engine.value}; "
                    f"choose one of: {', '.join(known)}"
                )
                raise problem("unknown_parameter", message, parameter=name)
            try:
                spec.to_native_checked(value)
            except (DurationError, ValueError) as error:
                raise problem("parameter_value", str(error), parameter=name) from None
        return server

    @field_validator("workers", mode="after")
    @classmethod
    def _unique_workers(cls, workers: list[Worker]) -> list[Worker]:
        return unique_names(workers)

    @field_validator("targets", mode="after")
    @classmethod
    def _provider_offers_engine(cls, targets: list[Any], info: ValidationInfo) -> list[Any]:
        engine = info.data.get("engine")
        seen: set[str] = set()
        for index, target in enumerate(targets):
            described = clouds()[target.provider]
            if engine is not None and engine not in described.engines:
                offered = ", ".join(sorted(described.engines))
                raise PydanticCustomError(
                    "engine_not_offered",
                    "{provider} does not offer {engine} (it offers: {offered})",
                    {
                        "index": index,
                        "provider": described.name,
                        "engine": engine.value,
                        "offered": offered,
                    },
                )
            if target.id in seen:
                raise PydanticCustomError(
                    "duplicate_target",
                    "target {id} is listed twice",
                    {"index": index, "id": target.id},
                )
            seen.add(target.id)
            hops = info.data.get("path")  # absent when path itself is wrong: said there
            if target.hop is not None and hops is not None:
                _hop_of_target(target, hops, index)
        return targets


def _hop_of_target(target: CloudTarget, hops: list[Any], index: int) -> None:
    """A target that is a hop of the path (a managed proxy) takes its timeouts from that hop:
    the path must have it."""
    kind = next(
        spec
        for spec in hop_kinds().values()
        if spec.cloud == target.provider and spec.written_on == "target"
    )
    if any(hop.kind == kind.kind and hop.name == target.hop for hop in hops):
        return
    message = (
        f"target {target.id} is {kind.title}: add it to path as "
        f"{{kind: {kind.kind}, name: {target.hop}}} (its "
        f"{', '.join(kind.parameters)} is set from there)"
    )
    raise problem("proxy", message, index=index)


def profile_json_schema() -> dict[str, Any]:
    """The profile's JSON Schema, for editors (yaml-language-server) and CI linters."""
    schema = Profile.model_json_schema()
    schema["title"] = "cloudtimeouts profile"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def parse_profile(text: str, source: str = "<profile>") -> Profile:
    """Validate YAML text; every problem is reported as source:line."""
    if len(text) > MAX_PROFILE_BYTES:  # load_profile never reads more; library callers might
        raise ProfileError(source, [(None, _too_large())])
    try:
        loaded = yamlsource.load(text)
    except yamlsource.YamlSourceError as error:
        raise ProfileError(source, [(error.line, error.message)]) from None
    if not isinstance(loaded.data, dict):
        raise ProfileError(
            source, [(1, "the top level must be a mapping (name:, engine:, django:, …)")]
        )
    try:
        return Profile.model_validate(loaded.data)
    except ValidationError as error:
        items = error.errors()
        problems = [describe(item, loaded, Profile, _TAGS) for item in items[:MAX_PROBLEMS]]
        if len(items) > MAX_PROBLEMS:
            problems.append((None, f"… and {len(items) - MAX_PROBLEMS} more problem(s)"))
        raise ProfileError(source, problems) from None


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file; whatever the file is, failure is one ProfileError."""
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PROFILE_BYTES + 1)
    except FileNotFoundError:
        raise ProfileError(source, [(None, "no such file")]) from None
    except IsADirectoryError:
        raise ProfileError(source, [(None, "is a directory, not a profile file")]) from None
    except PermissionError:
        raise ProfileError(source, [(None, "cannot be read: permission denied")]) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ProfileError(source, [(None, f"cannot be read: {reason}")]) from None
    except ValueError:  # open() refuses a path with a NUL byte before the OS sees it
        raise ProfileError(shown(source), [(None, "is not a file name (a NUL byte)")]) from None
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError(source, [(None, _too_large())])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise ProfileError(
            source,
            [(line, f"the file is not UTF-8 text (byte 0x{byte:02x}); a profile is YAML text")],
        ) from None
    return parse_profile(text, source)


def load_profiles(paths: Iterable[str | Path]) -> list[Profile]:
    """Every profile, or one error naming each file that does not load (not only the first)."""
    loaded, errors = [], []
    for path in paths:
        try:
            loaded.append(load_profile(path))
        except ProfileError as error:
            errors.append(error)
    if len(errors) > 1:  # its line breaks are ours: each line is one file's problem
        lines = [line for error in errors for line in (error.lines or (error.message,))]
        raise CloudtimeoutsError("\n".join(lines), errors[0].hint, lines=lines)
    if errors:
        raise errors[0]
    return loaded


def _too_large() -> str:
    return f"is larger than {MAX_PROFILE_BYTES >> 20} MiB; a profile is a short text file"


_TAGS: dict[str, type[BaseModel]] = {  # the discriminated unions' tags
    **{name: described.target for name, described in clouds().items()},
    **MODELS,
}
