"""Profiles: the typed contract between Django's CONN_MAX_AGE and the servers' timeouts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cloudtimeouts import yamlsource
from cloudtimeouts.catalog import PROVIDER_ENGINES, Engine, Provider, parameters
from cloudtimeouts.durations import Duration, DurationError
from cloudtimeouts.errors import ProfileError

_DURATION_PATTERN = r"^(\d+(\.\d+)?|(\d+(\.\d+)?\s*(us|ms|s|min|h|d)\s*)+|off|disabled)$"


def _parse_duration(raw: object) -> Duration:
    try:
        return Duration.parse(raw)
    except DurationError as error:
        raise PydanticCustomError("duration", str(error)) from None


def _parse_conn_max_age(raw: object) -> int | None:
    if isinstance(raw, str) and raw.strip().lower() == "unlimited":
        return None
    if raw is None:
        raise PydanticCustomError(
            "conn_max_age", "conn_max_age needs a value: seconds, a duration, 0, or unlimited"
        )
    if isinstance(raw, str) and raw.strip().lower() in ("off", "disabled"):
        raise PydanticCustomError(
            "conn_max_age",
            "conn_max_age: off is ambiguous: write 0 (close the connection after each "
            "request) or unlimited (keep it open forever, Django's None)",
        )
    duration = _parse_duration(raw)
    whole, rest = divmod(duration.microseconds, 1_000_000)
    if rest:
        raise PydanticCustomError(
            "conn_max_age", f"conn_max_age is whole seconds in Django; {duration} is not"
        )
    return whole


DurationField = Annotated[
    Duration,
    BeforeValidator(_parse_duration),
    PlainSerializer(lambda value: value.human(), return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "description": "seconds"},
                {"type": "string", "pattern": _DURATION_PATTERN},
            ],
            "description": "250ms, 30s, 10min, 2h, a bare number of seconds, or 0/off (disabled)",
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
                {"type": "string", "pattern": _DURATION_PATTERN.replace("|off|disabled", "")},
                {"const": "unlimited"},
            ],
            "description": "Django's CONN_MAX_AGE: seconds, a duration, 0 (close after each "
            "request) or unlimited (None)",
        }
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DjangoSettings(_Strict):
    conn_max_age: ConnMaxAge
    conn_health_checks: bool = True


class GuardSettings(_Strict):
    margin: DurationField = Duration(0)


_Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")]


class AwsTarget(_Strict):
    provider: Literal["aws"]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")]
    parameter_group: _Name | None = None
    cluster_parameter_group: _Name | None = None
    aws_profile: str | None = None
    role_arn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")] | None = None

    @model_validator(mode="after")
    def _exactly_one_group(self) -> AwsTarget:
        if (self.parameter_group is None) == (self.cluster_parameter_group is None):
            raise PydanticCustomError(
                "group",
                "an aws target names exactly one of parameter_group or cluster_parameter_group",
            )
        return self

    @property
    def group_kind(self) -> Literal["parameter-group", "cluster-parameter-group"]:
        return "parameter-group" if self.parameter_group else "cluster-parameter-group"

    @property
    def group_name(self) -> str:
        return self.parameter_group or self.cluster_parameter_group or ""

    @property
    def id(self) -> str:
        return f"aws:{self.region}:{self.group_kind}/{self.group_name}"


class GcpTarget(_Strict):
    provider: Literal["gcp"]
    project: Annotated[str, Field(pattern=r"^[a-z][a-z0-9:.-]*[a-z0-9]$")]
    instance: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]

    @property
    def id(self) -> str:
        return f"gcp:{self.project}:instance/{self.instance}"


class AzureTarget(_Strict):
    provider: Literal["azure"]
    subscription_id: Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{36}$")]
    resource_group: Annotated[str, Field(min_length=1, pattern=r"^[\w().-]+$")]
    server: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]

    @property
    def id(self) -> str:
        return f"azure:{self.subscription_id}:{self.resource_group}:server/{self.server}"


Target = Annotated[AwsTarget | GcpTarget | AzureTarget, Field(discriminator="provider")]


class Profile(_Strict):
    """A profile as declared; values are validated against the catalog of its engine."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9-]+$", max_length=63)]
    engine: Engine
    django: DjangoSettings
    guard: GuardSettings = GuardSettings()
    server: dict[str, DurationField] = Field(default_factory=dict)
    targets: list[Target] = Field(default_factory=list)

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
                raise PydanticCustomError(
                    "unknown_parameter",
                    "{parameter} is not a parameter cloudtimeouts manages for {engine}; "
                    "choose one of: {choices}",
                    {"parameter": name, "engine": engine.value, "choices": ", ".join(known)},
                )
            try:
                spec.to_native_checked(value)
            except (DurationError, ValueError) as error:
                raise PydanticCustomError(
                    "parameter_value",
                    "{problem}",
                    {"parameter": name, "problem": str(error)},
                ) from None
        return server

    @field_validator("targets", mode="after")
    @classmethod
    def _provider_offers_engine(cls, targets: list[Any], info: ValidationInfo) -> list[Any]:
        engine = info.data.get("engine")
        seen: set[str] = set()
        for index, target in enumerate(targets):
            provider = Provider(target.provider)
            if engine is not None and engine not in PROVIDER_ENGINES[provider]:
                offered = ", ".join(sorted(PROVIDER_ENGINES[provider]))
                raise PydanticCustomError(
                    "engine_not_offered",
                    "{provider} does not offer {engine} (it offers: {offered})",
                    {
                        "index": index,
                        "provider": provider.value,
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
        return targets


def profile_json_schema() -> dict[str, Any]:
    """The profile's JSON Schema, for editors (yaml-language-server) and CI linters."""
    schema = Profile.model_json_schema()
    schema["title"] = "cloudtimeouts profile"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def parse_profile(text: str, source: str = "<profile>") -> Profile:
    """Validate YAML text; every problem is reported as source:line."""
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
        raise ProfileError(source, [_describe(item, loaded) for item in error.errors()]) from None


def load_profile(path: str | Path) -> Profile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(str(path), [(None, "no such file")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProfileError(str(path), [(None, f"cannot be read: {error}")]) from None
    return parse_profile(text, str(path))


def _describe(item: Any, loaded: yamlsource.LoadedYaml) -> tuple[int | None, str]:
    ctx = item.get("ctx") or {}
    path = [part for part in item["loc"] if part not in ("aws", "gcp", "azure")]
    if "parameter" in ctx:
        path.append(ctx["parameter"])
    if "index" in ctx:
        path.append(ctx["index"])
    dotted = ".".join(str(part) for part in path)
    kind = item["type"]
    if kind == "extra_forbidden":
        parent = _allowed_keys(item["loc"][:-1])
        choices = f" (allowed: {', '.join(parent)})" if parent else ""
        message = f"unknown key {path[-1]!r}{choices}"
    elif kind == "missing":
        message = f"{dotted}: required key is missing"
    elif kind == "enum" and path == ["engine"]:
        message = (
            f"engine: {item['input']!r} is not an engine; choose one of: postgres, mysql, mariadb"
        )
    elif kind == "union_tag_invalid":
        provider = item["ctx"].get("tag")
        message = f"{dotted}: provider {provider!r} is unknown; choose one of: aws, gcp, azure"
    elif kind == "union_tag_not_found":
        message = f"{dotted}: each target needs provider: aws, gcp or azure"
    else:
        message = f"{dotted}: {item['msg']}" if dotted else item["msg"]
    return loaded.line_of(tuple(path)), message


_TARGET_MODELS: dict[str, type[BaseModel]] = {
    "aws": AwsTarget,
    "gcp": GcpTarget,
    "azure": AzureTarget,
}


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    """The keys allowed where an unknown one was found, for the error message."""
    model: type[BaseModel] | None = Profile
    for part in loc:
        if part in _TARGET_MODELS:
            model = _TARGET_MODELS[part]
            continue
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation if is_model else None  # type: ignore[assignment]
    return list(model.model_fields) if model else []
