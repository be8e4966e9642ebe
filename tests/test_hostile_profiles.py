"""Hostile profiles: whatever the file holds, `validate` answers with one error, never a crash.

Profiles come from repositories and CI jobs that anyone may touch, so the loader is an attack
surface. For every input, generated or hand-written, the real entry point must exit 1 (or 0/3 when
the input really is a valid profile), print exactly one `Error:` group that names the file (and
its line where there is one), never a traceback or a raw exception, run no code, and stay within a
small, fixed amount of memory and time.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudtimeouts import yamlsource
from cloudtimeouts.cli import main
from cloudtimeouts.durations import MAX_SECONDS, Duration, DurationError
from cloudtimeouts.profile import CONN_MAX_AGE_MAX, MAX_PROFILE_BYTES
from cloudtimeouts.yamlsource import MAX_DEPTH, MAX_NUMBER_LENGTH

BASE = "name: orders\nengine: postgres\ndjango:\n  conn_max_age: 5min\n"
SCRIPT = Path(sys.executable).parent / "cloudtimeouts"
FAST = settings(
    max_examples=100,
    # No per-example deadline: a loaded 2-core CI machine pauses for seconds at times, and the
    # bounded-time claims are asserted explicitly (seconds < 10) where they matter.
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def validate(path: str | Path) -> Run:
    """`cloudtimeouts validate PATH` through the real entry point, in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["validate", str(path)])
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
    return Run(code, out.getvalue(), err.getvalue())


def assert_one_error(run: Run, path: str | Path, line: int | None = None) -> str:
    """Exit 1 and exactly one `Error:` group naming the file (and line); returns its text."""
    assert run.code == 1, run
    assert "Traceback" not in run.stderr and "unexpected error" not in run.stderr, run.stderr
    lines = run.stderr.splitlines()
    assert lines, run
    assert sum(text.startswith("Error:") for text in lines) == 1, run.stderr[:2000]
    where = f"{path}:{line}:" if line is not None else f"{path}"
    assert lines[0].startswith(f"Error: {where}"), (where, run.stderr[:2000])
    assert all(text.startswith((f"Error: {path}", f"{path}", "Hint: ")) for text in lines), lines
    assert len(run.stderr) < 10_000, "messages stay short whatever the input"
    assert run.stdout == ""
    return run.stderr


def assert_answered(run: Run, path: Path) -> None:
    """A valid profile is ok (0) or refused by the guard (3); anything else is one error."""
    if run.code in (0, 3):
        assert "Traceback" not in run.stderr and "Error:" not in run.stderr, run
        assert (f"{path}: ok" in run.stdout) == (run.code == 0), run
    else:
        assert_one_error(run, path)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for the module: hypothesis reruns a test body, function fixtures do not."""
    return tmp_path_factory.mktemp("hostile")


def write(directory: Path, content: str | bytes, name: str = "profile.yaml") -> Path:
    path = directory / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def nested(depth: int, kind: str) -> str:
    """`depth` levels of flow sequences, flow mappings, block mappings or block sequences."""
    if kind == "flow-seq":
        return "x: " + "[" * depth + "]" * depth + "\n"
    if kind == "flow-map":
        return "x: " + "{a: " * depth + "1" + "}" * depth + "\n"
    if kind == "block-map":
        return "x:\n" + "".join("  " * (level + 1) + "a:\n" for level in range(depth))
    return "x:\n" + "".join("  " * (level + 1) + "-\n" for level in range(depth))


# --- the examples of the issue, with the exact messages ---------------------------------------


@pytest.mark.parametrize("kind", ["flow-seq", "flow-map", "block-map", "block-seq"])
def test_a_thousand_levels_of_nesting_is_one_error(workdir: Path, kind: str) -> None:
    path = write(workdir, BASE + nested(1000, kind))
    message = assert_one_error(validate(path), path)
    assert f"nests more than {MAX_DEPTH} levels deep" in message


def test_an_integer_of_5000_digits_is_one_error(workdir: Path) -> None:
    path = write(workdir, BASE + "guard:\n  margin: " + "9" * 5000 + "\n")
    message = assert_one_error(validate(path), path, line=6)
    expected = "a number of 5000 characters is longer than any value a profile holds"
    assert f"{expected} (at most {MAX_NUMBER_LENGTH})" in message


@pytest.mark.parametrize(
    "value",
    ["9" * 400, str(CONN_MAX_AGE_MAX + 1), f"{CONN_MAX_AGE_MAX + 1}s", "1" + "0" * 400 + "s"],
)
def test_conn_max_age_has_a_maximum(workdir: Path, value: str) -> None:
    path = write(workdir, BASE.replace("5min", value))
    message = assert_one_error(validate(path), path, line=4)
    assert "django.conn_max_age:" in message
    assert "is more than the maximum of 2147483647 seconds (about 68 years)" in message
    assert len(message) < 400


@pytest.mark.parametrize("value", [str(CONN_MAX_AGE_MAX), "24855d3h14min7s", "unlimited"])
def test_conn_max_age_up_to_the_maximum_is_valid(workdir: Path, value: str) -> None:
    path = write(workdir, BASE.replace("5min", value))
    run = validate(path)
    assert run.code == 0 and f"{path}: ok" in run.stdout, run


@pytest.mark.parametrize(
    ("server", "line"),
    [
        ("guard:\n  margin: 1" + "0" * 400 + "\n", 6),
        ("guard:\n  margin: 1" + "0" * 400 + "s\n", 6),
        ("server:\n  statement_timeout: " + "9" * 300 + "d" + "9" * 300 + "h\n", 6),
        ("server:\n  statement_timeout: '" + "1d" * 30_000 + "'\n", 6),
        ("server:\n  idle_session_timeout: 1" + "0" * 400 + "ms\n", 6),
    ],
    ids=["margin-int", "margin-s", "compound", "many-parts", "server-ms"],
)
def test_absurd_durations_are_one_error(workdir: Path, server: str, line: int) -> None:
    path = write(workdir, BASE + server)
    message = assert_one_error(validate(path), path, line=line)
    assert f"is longer than the maximum of {MAX_SECONDS} s (24855d3h14min7s" in message


ALIAS_CHAIN = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 300))
HOSTILE = {  # name: (text after BASE, line of the error, part of the message)
    "alias-chain": (ALIAS_CHAIN, 5, "nests more than 64 levels"),
    "recursive-alias": ("x: &a [1, *a]\n", 5, "nests more than 64 levels"),
    "long-key": ("? " + "k" * 500_000 + "\n: 1\n", 5, "(500000 characters)"),
    "long-quoted-key": (
        '"' + "k" * 1000 + '": 1\n',
        5,
        "'kkkkkkkkkkkkkkkkkkkk'… (1000 characters)",
    ),
    "long-string": ("x: " + "o" * 500_000 + "\n", 5, "unknown key 'x'"),
    "escape-key": ('server:\n  "\\e[31m{choices}": 1s\n', 6, "'\\x1b[31m{choices}' is not a"),
    "nul": ("x: a\0b\n", 5, "the file holds a NUL byte (U+0000) that YAML does not allow"),
    "control": ("x: a\x07b\n", 5, "a control character (U+0007)"),
    "lone-surrogate": ('x: "\\ud800"\n', 5, "half of a UTF-16 surrogate pair"),
    "tag": ("x: !!python/object:os.system {}\n", 5, "YAML tag '!!python/object:os.system' is"),
    "tag-on-key": ("!!python/name:os.system x: 1\n", 5, "YAML tag '!!python/name:os.system' is"),
    "local-tag": ("x: !shell ls\n", 5, "YAML tag '!shell' is not allowed"),
    "undefined-alias": ("x: *" + "a" * 5000 + "\n", 5, "not valid YAML: found undefined alias"),
    "two-documents": ("---\n" * 50_000, 5, "a profile is one YAML document"),
    "flat-100k": ("x: [" + "1," * 100_000 + "1]\n", 5, "too many values (more than 10000"),
    "float-overflow": ("guard: {margin: 1.5e+400}\n", 5, "the number '1.5e+400' is out of range"),
    "float-underflow": ("guard: {margin: 1.5e-400}\n", 5, "the number '1.5e-400' is out of range"),
    "many-problems": ("targets:\n" + "  - {provider: aws}\n" * 500, 6, "… and 480 more problem(s)"),
}


@pytest.mark.parametrize(("text", "line", "fragment"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_one_error(workdir: Path, text: str, line: int, fragment: str) -> None:
    path = write(workdir, BASE + text)
    message = assert_one_error(validate(path), path, line=line)
    assert fragment in message, message


def test_a_long_value_is_one_short_error(workdir: Path) -> None:
    path = write(workdir, BASE.replace("orders", "o" * 500_000))
    message = assert_one_error(validate(path), path, line=1)
    assert message == f"Error: {path}:1: name: has 500000 characters; at most 63 are allowed\n"


BYTES = {
    "not-utf8": (BASE.encode() + b"x: \xff\xfe\n", 5, "the file is not UTF-8 text (byte 0xff)"),
    "binary": (bytes(range(256)) * 4, 2, "the file is not UTF-8 text (byte 0x80)"),  # 0x0a
    "binary-nul": (b"\0" * 100, 1, "a NUL byte (U+0000)"),
    "latin-1": ("name: caf\u00e9\n".encode("latin-1"), 1, "not UTF-8 text (byte 0xe9)"),
    "too-large": (b"#" * (MAX_PROFILE_BYTES + 1), None, "is larger than 1 MiB"),
}


@pytest.mark.parametrize(("content", "line", "fragment"), BYTES.values(), ids=BYTES.keys())
def test_hostile_bytes_are_one_error(
    workdir: Path, content: bytes, line: int | None, fragment: str
) -> None:
    path = write(workdir, content)
    message = assert_one_error(validate(path), path, line=line)
    assert fragment in message, message


def test_no_code_is_executed(workdir: Path) -> None:
    marker = workdir / "pwned"
    for text in (
        BASE + f"x: !!python/object/apply:os.system ['touch {marker}']\n",
        f"!!python/object/apply:os.system ['touch {marker}']\n",
        BASE + f"x: !!python/object/new:subprocess.call [[touch, {marker}]]\n",
        f"%TAG !p! tag:yaml.org,2002:python/\n---\nx: !p!object/apply:os.system [touch {marker}]\n",
    ):
        path = write(workdir, text)
        assert "is not allowed" in assert_one_error(validate(path), path)
    assert not marker.exists()


def test_a_directory_is_one_error(workdir: Path) -> None:
    directory = workdir / "profiles.yaml"
    directory.mkdir(exist_ok=True)
    message = assert_one_error(validate(directory), directory)
    assert message == f"Error: {directory}: is a directory, not a profile file\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_one_error(workdir: Path) -> None:
    path = write(workdir, BASE, "secret.yaml")
    path.chmod(0)
    try:
        message = assert_one_error(validate(path), path)
    finally:
        path.chmod(0o600)
    assert message == f"Error: {path}: cannot be read: permission denied\n"


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_that_fails_to_read_is_one_error() -> None:
    """/proc/self/mem opens but its first page is unmapped: EIO even for root."""
    message = assert_one_error(validate("/proc/self/mem"), "/proc/self/mem")
    assert message == "Error: /proc/self/mem: cannot be read: Input/output error\n"


@pytest.mark.parametrize(
    ("device", "fragment"), [("/dev/zero", "is larger than 1 MiB"), ("/dev/null", "is empty")]
)
def test_devices_are_one_error(device: str, fragment: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device}")
    assert fragment in assert_one_error(validate(device), device)


# --- bounded memory and time --------------------------------------------------------------------


def alias_bomb(fan_out: int, levels: int) -> str:
    text = f"a: &a [{', '.join(['x'] * fan_out)}]\n"
    for level in range(1, levels):
        names = ", ".join([f"*l{level - 1}" if level > 1 else "*a"] * fan_out)
        text += f"l{level}: &l{level} [{names}]\n"
    return text


def peak_of(path: Path) -> tuple[Run, int, float]:
    """Run validate in process; its result, peak traced memory in bytes, and CPU seconds."""
    validate(path)  # imports and caches first, so that only the input's cost is traced
    tracemalloc.start()
    started = time.process_time()
    try:
        run = validate(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return run, peak, time.process_time() - started


@pytest.mark.parametrize(
    "text",
    [
        alias_bomb(10, 9),  # a billion laughs: 10**9 values if expanded
        alias_bomb(1000, 3),
        BASE + nested(10_000, "flow-seq"),
        BASE + "x: [" + "1," * 30_000 + "1]\n",
        BASE + "guard: {margin: '" + "1s" * 30_000 + "'}\n",
    ],
    ids=["billion-laughs", "wide-bomb", "deep-10k", "flat-30k", "duration-30k-parts"],
)
def test_memory_and_time_stay_bounded(workdir: Path, text: str) -> None:
    path = write(workdir, text)
    run, peak, seconds = peak_of(path)
    assert run.code in (0, 1) and "Traceback" not in run.stderr
    assert peak < 16 * 2**20, f"{peak / 2**20:.1f} MiB"
    assert seconds < 10


# --- generated hostile profiles ------------------------------------------------------------------

KINDS = st.sampled_from(["flow-seq", "flow-map", "block-map", "block-seq"])


@FAST
@given(depth=st.integers(min_value=1, max_value=1000), kind=KINDS, at_top=st.booleans())
def test_any_nesting_depth_is_answered(workdir: Path, depth: int, kind: str, at_top: bool) -> None:
    text = nested(depth, kind) if at_top else BASE + nested(depth, kind)
    path = write(workdir, text)
    message = assert_one_error(validate(path), path)
    deep = "nests more than 64 levels deep" in message
    if depth > MAX_DEPTH:
        assert deep
    elif depth < MAX_DEPTH - 2:  # below the base profile's own levels, nothing is too deep
        assert "unknown key 'x'" in message or "required key is missing" in message
    else:  # at the limit, the base profile's own level decides which error comes first
        assert deep or "unknown key 'x'" in message or "required key is missing" in message


@FAST
@given(
    digits=st.integers(min_value=1, max_value=6000),
    where=st.sampled_from(["conn_max_age", "margin", "server", "name", "engine", "key"]),
    sign=st.sampled_from(["", "-", "+"]),
)
def test_any_integer_is_answered(workdir: Path, digits: int, where: str, sign: str) -> None:
    number = sign + "9" * digits
    text = {
        "conn_max_age": BASE.replace("5min", number),
        "margin": BASE + f"guard:\n  margin: {number}\n",
        "server": BASE + f"server:\n  tcp_keepalives_idle: {number}\n",
        "name": BASE.replace("orders", number),
        "engine": BASE.replace("postgres", number),
        "key": BASE + f"{number}: 1\n",
    }[where]
    path = write(workdir, text)
    run = validate(path)
    value = int(number) if digits <= 18 else None
    if where == "conn_max_age" and value is not None and 0 <= value <= CONN_MAX_AGE_MAX:
        assert_answered(run, path)
        return
    if where in ("margin", "server") and value is not None and 0 <= value <= MAX_SECONDS:
        assert_answered(run, path)
        return
    message = assert_one_error(run, path)
    if len(number) > MAX_NUMBER_LENGTH and where != "key":
        assert f"a number of {len(number)} characters" in message
    elif where == "conn_max_age" and not sign.startswith("-"):
        assert "more than the maximum of 2147483647 seconds" in message


@FAST
@given(content=st.binary(max_size=3000), after_base=st.booleans())
def test_any_bytes_are_answered(workdir: Path, content: bytes, after_base: bool) -> None:
    path = write(workdir, (BASE.encode() if after_base else b"") + content)
    assert_answered(validate(path), path)


KEYS = st.text(min_size=1, max_size=300)


@FAST
@given(
    key=KEYS,
    where=st.sampled_from(["top", "django", "guard", "server", "target"]),
    value=st.sampled_from(["1", "30s", "x", "[1]", "{a: 1}", "~"]),
)
def test_any_key_is_answered(workdir: Path, key: str, where: str, value: str) -> None:
    quoted = json.dumps(key)  # a JSON string is a YAML double-quoted scalar
    text = {
        "top": BASE + f"{quoted}: {value}\n",
        "django": BASE + f"  {quoted}: {value}\n",
        "guard": BASE + f"guard:\n  {quoted}: {value}\n",
        "server": BASE + f"server:\n  {quoted}: {value}\n",
        "target": BASE
        + f"targets:\n  - {{provider: gcp, project: acme-prod, instance: db, {quoted}: {value}}}\n",
    }[where]
    path = write(workdir, text)
    run = validate(path)
    assert_answered(run, path)


@FAST
@given(text=st.text(max_size=2000))
def test_any_text_is_answered(workdir: Path, text: str) -> None:
    path = write(workdir, BASE + text)
    assert_answered(validate(path), path)


NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**30).map(str),
    st.from_regex(r"\A[0-9]{1,500}(\.[0-9]{1,500})?\Z"),
    st.sampled_from(["0", "00000000000000000000000000001", "1.", ".5", "1e9", "-1", "inf"]),
)
UNITS = st.sampled_from(["", "us", "ms", "s", "min", "h", "d", "m", "x", "sec", " s", "S", "MIN"])
DURATIONS = st.lists(st.tuples(NUMBERS, UNITS), min_size=1, max_size=40).map(
    lambda parts: "".join(number + unit for number, unit in parts)
) | st.sampled_from(["off", "disabled", "unlimited", "", " ", "OFF"])


@FAST
@given(
    duration=DURATIONS,
    where=st.sampled_from(["conn_max_age", "margin", "statement_timeout", "idle_session_timeout"]),
    quoted=st.booleans(),
)
def test_any_duration_is_answered(workdir: Path, duration: str, where: str, quoted: bool) -> None:
    shown = json.dumps(duration) if quoted else duration
    text = {
        "conn_max_age": BASE.replace("5min", shown),
        "margin": BASE + f"guard:\n  margin: {shown}\n",
        "statement_timeout": BASE + f"server:\n  statement_timeout: {shown}\n",
        "idle_session_timeout": BASE + f"server:\n  idle_session_timeout: {shown}\n",
    }[where]
    path = write(workdir, text)
    run = validate(path)
    assert_answered(run, path)
    if run.code in (0, 3):  # accepted: then it is a duration within the maximum
        value = yamlsource.load(f"v: {shown}").data["v"]  # as YAML typed it
        try:
            parsed = Duration.parse(value)
        except DurationError:
            assert value.strip().lower() == "unlimited" and where == "conn_max_age"
            return
        assert parsed.microseconds <= MAX_SECONDS * 1_000_000
    else:
        line = 4 if where == "conn_max_age" else 6
        assert f"{path}:{line}:" in run.stderr or f"{path}:5:" in run.stderr, run.stderr


@FAST
@given(
    fan_out=st.integers(min_value=2, max_value=60), levels=st.integers(min_value=2, max_value=12)
)
def test_any_alias_bomb_is_refused_quickly(workdir: Path, fan_out: int, levels: int) -> None:
    path = write(workdir, alias_bomb(fan_out, levels))
    # the work this process does (validate runs in it), not the wall clock: other processes on
    # a loaded machine (a parallel run, other suites) stretch the wall clock, not the work
    started = time.process_time()
    run = validate(path)
    assert time.process_time() - started < 1.5
    message = assert_one_error(run, path)
    if fan_out**levels > 20_000:
        assert "too many values" in message


# --- the real console script, in a subprocess ---------------------------------------------------


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is not installed")
@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (BASE + nested(1000, "flow-seq"), ":5: the document nests more than 64 levels deep"),
        (BASE.replace("5min", "9" * 5000), ":4: a number of 5000 characters is longer than"),
        (
            BASE + "? " + "k" * (MAX_PROFILE_BYTES - len(BASE) - 20) + "\n: 1\n",
            ":5: unknown key 'kkkkkkkkkkkkkkkkkkkk'…",
        ),
    ],
    ids=["nesting", "digits", "one-mib-key"],
)
def test_the_console_script_answers_with_one_error(workdir: Path, text: str, fragment: str) -> None:
    """The installed `cloudtimeouts` script, its exit code, its stderr, and its peak RSS."""
    path = write(workdir, text, "subprocess.yaml")
    peak_file = workdir / "peak"
    # Linux carries a forked process's peak RSS across exec, so a child of this (large) test
    # process would report this process's size: a small Python in between starts the script.
    starter = (
        "import os, subprocess, sys; p = subprocess.Popen(sys.argv[2:]); "
        "_, status, usage = os.wait4(p.pid, 0); "
        "open(sys.argv[1], 'w').write(str(usage.ru_maxrss)); "
        "sys.exit(os.waitstatus_to_exitcode(status))"
    )
    command = [sys.executable, "-c", starter, str(peak_file), str(SCRIPT), "validate", str(path)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.run(command, stdout=out, stderr=err, check=False)
        out.seek(0)
        err.seek(0)
        run = Run(process.returncode, out.read().decode(), err.read().decode())
    assert fragment in assert_one_error(run, path), run.stderr
    peak_kib = int(peak_file.read_text())
    peak_kib = peak_kib if sys.platform != "darwin" else peak_kib // 1024
    baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert peak_kib < 128 * 1024, f"{peak_kib} KiB (this test process: {baseline_kib} KiB)"
