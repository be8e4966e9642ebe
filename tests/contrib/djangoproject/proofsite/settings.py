"""Settings from the environment, so each test picks the server, CONN_MAX_AGE and profile.

DATABASE_URL (dj-database-url), CONN_MAX_AGE (seconds or "unlimited"), CONN_HEALTH_CHECKS
("1" for True), PROOF_POOL (JSON: Django's OPTIONS["pool"], psycopg_pool's arguments),
PROOF_PROFILE (CLOUDTIMEOUTS_PROFILE: a path, or JSON for a dict), PROOF_SQLITE ("1" adds an
sqlite alias "other", which the check skips). PROOF_SNIPPET names a file printed by
`cloudtimeouts django-settings --format python`: its DATABASES replaces the one built here (its
connection details come from DB_NAME, DB_USER, DB_PASSWORD, DB_HOST, DB_PORT).
"""

import json
import os

import dj_database_url
import pymysql

# Django's MySQL backend imports MySQLdb (mysqlclient, not installed here); PyMySQL stands in and
# reports mysqlclient's version (pymysql.version_info), which satisfies Django's version check.
pymysql.install_as_MySQLdb()

SECRET_KEY = "proofsite-tests-only"
DEBUG = False
DEBUG_PROPAGATE_EXCEPTIONS = True  # the scenario sees the real exception, not a 500 page
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["cloudtimeouts.contrib.django"]
ROOT_URLCONF = "proofsite.urls"
USE_TZ = True

_max_age = os.environ.get("CONN_MAX_AGE", "0")
DATABASES = {
    "default": dj_database_url.parse(
        os.environ["DATABASE_URL"],
        conn_max_age=None if _max_age == "unlimited" else int(_max_age),  # type: ignore[arg-type]
        conn_health_checks=os.environ.get("CONN_HEALTH_CHECKS") == "1",
    )
}
if "PROOF_POOL" in os.environ:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = json.loads(os.environ["PROOF_POOL"])
if "PROOF_SNIPPET" in os.environ:
    _generated: dict = {}
    with open(os.environ["PROOF_SNIPPET"]) as _file:
        exec(compile(_file.read(), os.environ["PROOF_SNIPPET"], "exec"), _generated)
    DATABASES = _generated["DATABASES"]
if os.environ.get("PROOF_SQLITE") == "1":
    DATABASES["other"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}

if "PROOF_PROFILE" in os.environ:
    _profile = os.environ["PROOF_PROFILE"]
    CLOUDTIMEOUTS_PROFILE = json.loads(_profile) if _profile.startswith("{") else _profile

# The worker proofs (tests/contrib/test_workers*.py): PROOF_APPS adds apps (comma-separated:
# "proofsite" for its management command, a task queue's Django app), REDIS_URL the broker of
# RQ / django-rq, and each queue's own settings, read only by the queue that is used.
INSTALLED_APPS += [app for app in os.environ.get("PROOF_APPS", "").split(",") if app]
if "REDIS_URL" in os.environ:
    RQ_QUEUES = {"proof": {"URL": os.environ["REDIS_URL"]}}
    import proofsite.rqpatch  # noqa: F401  (a worker's stop bounded: see there)
if "PROOF_RQ_WORKER_CLASS" in os.environ:
    RQ = {"WORKER_CLASS": os.environ["PROOF_RQ_WORKER_CLASS"]}
if "PROOF_DRAMATIQ_MIDDLEWARE" in os.environ:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.stub.StubBroker",
        "OPTIONS": {},
        "MIDDLEWARE": json.loads(os.environ["PROOF_DRAMATIQ_MIDDLEWARE"]),
    }
if os.environ.get("PROOF_HUEY") == "1":
    HUEY = {"huey_class": "huey.MemoryHuey", "name": "proof", "immediate": False}
if "django_q" in INSTALLED_APPS:
    Q_CLUSTER = {"name": "proof", "orm": "default", "sync": False, "timeout": 30, "retry": 60}
if "PROOF_SETTINGS" in os.environ:  # JSON: more settings, as the check tests need them
    globals().update(json.loads(os.environ["PROOF_SETTINGS"]))
