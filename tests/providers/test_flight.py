"""One sign-in per credential while it runs (`providers.flight`, azure's `SharedToken`).

Azure's plan was 2.08x its bound because its first reads each asked Entra ID for a token at once
(azure-core's BearerTokenCredentialPolicy takes no lock; each client holds its own token): these
tests hold the shared token to one request however many threads ask, to azure-core's refresh
rule, and to an honest failure (each waiting caller gets it; the next caller asks again).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.credentials import AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError

from cloudtimeouts.providers.azure.clients import REFRESH_WINDOW_S, SharedToken
from cloudtimeouts.providers.flight import Flights

SCOPE = "https://management.azure.com/.default"


class Credential:
    """A TokenCredential that takes `delay` seconds per token and counts its requests."""

    def __init__(self, delay: float = 0.2, lifetime: float = 3600, fail: int = 0) -> None:
        self.delay, self.lifetime, self.fail = delay, lifetime, fail
        self.asked: Counter[str] = Counter()
        self._lock = threading.Lock()

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        with self._lock:
            self.asked[" ".join(scopes)] += 1
            failing = self.fail > 0
            self.fail -= 1
        time.sleep(self.delay)
        if failing:
            raise ClientAuthenticationError(message="invalid_client: bad secret")
        return AccessTokenInfo(
            f"token-{sum(self.asked.values())}", int(time.time() + self.lifetime)
        )


def together(count: int, call: Callable[[], Any]) -> list[Any]:
    """`call` on `count` threads released at once; what each returned or raised."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_sixteen_concurrent_first_reads_make_one_token_request() -> None:
    credential = Credential()
    shared = SharedToken(credential)
    tokens = together(16, lambda: shared.get_token_info(SCOPE))
    assert credential.asked == Counter({SCOPE: 1})
    assert {token.token for token in tokens} == {"token-1"}
    assert shared.get_token(SCOPE).token == "token-1"  # kept: no second request
    assert credential.asked == Counter({SCOPE: 1})


def test_a_failed_sign_in_reaches_every_waiting_caller_and_is_not_kept() -> None:
    credential = Credential(fail=1)
    shared = SharedToken(credential)
    said = together(8, lambda: shared.get_token_info(SCOPE))
    assert credential.asked == Counter({SCOPE: 1})  # one request, for all eight
    assert all(isinstance(error, ClientAuthenticationError) for error in said), said
    assert all("bad secret" in str(error) for error in said)
    assert shared.get_token_info(SCOPE).token == "token-2"  # the next caller asks again


def test_a_token_is_asked_again_when_azure_core_would_refresh_it() -> None:
    credential = Credential(delay=0, lifetime=REFRESH_WINDOW_S - 1)  # already in the window
    shared = SharedToken(credential)
    shared.get_token_info(SCOPE)
    shared.get_token_info(SCOPE)
    assert credential.asked == Counter({SCOPE: 2})


def test_scopes_and_claims_are_not_mixed() -> None:
    credential = Credential(delay=0)
    shared = SharedToken(credential)
    shared.get_token_info(SCOPE)
    shared.get_token_info("https://management.chinacloudapi.cn/.default")
    shared.get_token_info(SCOPE, options={"claims": '{"access_token": {}}'})  # a CAE challenge
    shared.get_token_info(SCOPE)
    assert credential.asked == Counter(
        {SCOPE: 2, "https://management.chinacloudapi.cn/.default": 1}
    )


def test_flights_share_a_result_and_let_the_next_caller_ask_again() -> None:
    flights: Flights[int] = Flights()
    calls = Counter[str]()

    def fetch() -> int:
        calls["fetch"] += 1
        time.sleep(0.2)
        return calls["fetch"]

    assert set(together(10, lambda: flights.run("key", fetch))) == {1}
    assert flights.run("key", fetch) == 2  # a flight that ended is not a cache
    assert calls["fetch"] == 2


@pytest.mark.parametrize("count", [1, 16])
def test_a_plan_of_many_servers_signs_in_once(azure: Any, tmp_path: Any, count: int) -> None:
    """Through the real SDK clients on the emulator: one discovery and one token per plan."""
    import support.profiles as support

    from cloudtimeouts.planning import make_plan
    from cloudtimeouts.profile import load_profile

    sub = "00000000-0000-0000-0000-0000000000f2"
    names = [f"pg-{index}" for index in range(count)]
    for index, name in enumerate(names):
        azure.add_server(sub, f"rg-{index % 2}", name, "postgres")
    path = support.write_profile(
        tmp_path,
        server={"statement_timeout": "30s"},
        targets=[support.azure_target(sub, f"rg-{i % 2}", name) for i, name in enumerate(names)],
    )
    azure.server.clear_requests()

    plan = make_plan([load_profile(path)])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    asked = Counter(request.operation for request in azure.requests)
    assert (asked["openid-configuration"], asked["token"]) == (1, 1), asked
