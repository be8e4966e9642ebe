"""A realistic Amazon RDS parameter-group layer in front of moto, for the demo and the sandbox.

Why: moto only stores and echoes. A fresh group has no parameters; it ignores MaxRecords, Marker
and Source; it accepts any number of parameters, unknown names, out-of-range values, `immediate`
for static parameters and writes to `default.*` groups; it never reports `pending-reboot`; and
DescribeEngineDefaultParameters answers HTTP 500. cloudtimeouts' safety rests on exactly those
behaviours, so `cloudtimeouts demo` / `sandbox` must talk to something that answers as RDS does.

Design (and why):
- One loopback HTTP server (werkzeug, threaded) that speaks the RDS Query protocol: form-encoded
  `Action=...&Version=2014-10-31`, XML answers. The real boto3 client reaches it unchanged through
  `AWS_ENDPOINT_URL_RDS` (and `AWS_ENDPOINT_URL_STS`).
- Parameter-group actions are answered here, from a per-family catalogue merged with the values
  users set (this layer owns the parameter-group store: the catalogue, pagination, validation and
  apply methods are all ours, and moto could not keep them). Every group is mirrored into moto
  (create/delete only) so that moto's CreateDBInstance still finds the group it names.
- Everything else (instances, clusters, STS, tags...) goes to moto's own WSGI application,
  in-process (`moto.moto_server.werkzeug_app.DomainDispatcherApplication`): no second port, no
  subprocess, ~0.3 s import. Answers that carry DBInstance / DBCluster elements are rewritten to
  show `ParameterApplyStatus` / `DBClusterParameterGroupStatus` = `pending-reboot` from our state,
  because moto hard-codes `in-sync`. RebootDBInstance clears it; RebootDBCluster (which moto
  lacks) is answered here from moto's DescribeDBClusters.
- XML is rendered from botocore's own RDS service model (member and list-item names come from the
  model), so the shapes are the ones the client parses.
- Caveat: moto's backends are process-global, so two RealisticRds in one process share instances
  and clusters (each keeps its own parameter groups). `reset()` resets both.

Behaviour sources (Amazon RDS API Reference unless stated; cited again next to each handler):
- DescribeDBParameters / DescribeDBClusterParameters: MaxRecords 20..100 (default 100), Marker,
  Source user|system|engine-default.
- ModifyDBParameterGroup: "A maximum of 20 parameters can be modified in a single request";
  `immediate` for dynamic parameters only.
- Error codes and wordings seen from real RDS in public reports:
  `InvalidParameterCombination: Cannot modify more than 20 parameters in a single request`
  (hashicorp/terraform-provider-aws#1298, crossplane-contrib/provider-aws#1681);
  `InvalidParameterValue: Cannot modify a default parameter group.` (ankane/pghero#66);
  `InvalidParameterValue: Could not find parameter with name: X` (hashicorp/terraform#11820);
  `InvalidParameterCombination: cannot use immediate apply method for static parameter`
  (terraform-aws-modules/terraform-aws-rds#349, #582);
  `InvalidParameterValue: ParameterGroupFamily X is not a valid parameter group family`
  (terraform-aws-modules/terraform-aws-rds#173, cloudformation-coverage-roadmap#703);
  `DBParameterGroupNotFound: DBParameterGroup not found: X` (404,
  terraform-aws-modules/terraform-aws-rds#213); `DBClusterParameterGroup not found: X` for cluster
  groups (same code; scripts in public repos match that AWS CLI text);
  `InvalidParameterValue: Invalid value N for MaxRecords. Must be between 20 and 1000` (real text
  for DescribeOrderableDBInstanceOptions, hashicorp/terraform-provider-aws#37221; the 20..100
  variant here follows it);
  `The parameter DBParameterGroupName must be provided and must not be blank.`
  (hashicorp/terraform#13279).
  UNVERIFIED wordings (plausible, marked where used): the value-not-allowed message, the
  not-modifiable message, the invalid Marker / Source / ApplyMethod messages, the AlreadyExists
  and InvalidDBParameterGroupState messages.
- Catalogue facts: the timeouts come from cloudtimeouts.catalog with RDS defaults where they differ
  (RDS UserGuide "Dead connection handling in PostgreSQL": tcp_keepalives_idle 300 s, interval
  30 s, count 2); RDS formulas for max_connections / shared_buffers / innodb_buffer_pool_size
  (RDS UserGuide "Working with parameter groups" / "Maximum number of database connections"), the
  autovacuum formulas seen in default groups (hashicorp/terraform-provider-aws#31774), and
  rds.force_ssl default 1 from PostgreSQL 15 (RDS UserGuide ssl-certificate-rotation-postgresql).
  The unrelated parameters are real PostgreSQL / MySQL / MariaDB settings with their engines'
  documented context (postmaster / read-only-at-runtime -> static) and defaults; they are shaped
  like RDS's listing, not copied from a DescribeDBParameters dump: their exact RDS values, and
  whether RDS shows a value for each, are UNVERIFIED. rds.force_ssl's apply type is UNVERIFIED
  (modelled dynamic).

Usage::

    with RealisticRds() as rds:                       # ~0.5 s; serves http://127.0.0.1:PORT
        os.environ["AWS_ENDPOINT_URL_RDS"] = rds.url
        rds.create_group("orders-pg16", "postgres16", {"statement_timeout": "30000"})
        rds.create_instance("orders-db", "postgres", group="orders-pg16")
        rds.calls["DescribeDBParameters"], rds.last_params["DescribeDBParameters"]
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import re
import threading
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cloudtimeouts.catalog import Engine, Provider, parameters

__all__ = [
    "FAMILIES",
    "CatalogParameter",
    "Family",
    "RdsError",
    "RealisticRds",
    "family_catalogue",
]

API_VERSION = "2014-10-31"
NAMESPACE = f"http://rds.amazonaws.com/doc/{API_VERSION}/"
ACCOUNT_ID = "123456789012"  # moto's default account: ARNs here match the ones moto builds
DEFAULT_REGION = "us-east-1"
MAX_MODIFY = 20  # API_ModifyDBParameterGroup: "A maximum of 20 parameters ... in a single request"
MIN_RECORDS, MAX_RECORDS = 20, 100  # API_DescribeDBParameters: MaxRecords "Minimum 20, maximum 100"
SOURCES = ("user", "system", "engine-default")  # API_DescribeDBParameters: Source
APPLY_METHODS = ("immediate", "pending-reboot")  # API_Parameter: ApplyMethod
_REGION_IN_AUTH = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_NUMBER_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$")
# RDS accepts formulas and functions for numeric parameters (RDS UserGuide, "DB parameter formulas"
# and "DB parameter functions": {DBInstanceClassMemory/...}, GREATEST(), LEAST(), SUM(), log()).
_FORMULA = re.compile(r"^(\{[^{}]+\}|(GREATEST|LEAST|SUM)\(.+\))$")

ET.register_namespace("", NAMESPACE)  # re-serialised moto answers keep RDS's default namespace


# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Family:
    """A DB parameter group family: which engine, which major version, which RDS flavour."""

    name: str
    engine: Engine
    major: tuple[int, ...]  # (16,) for postgres16, (8, 0) for mysql8.0, (10, 11) for mariadb10.11
    aurora: bool
    minimum_engine_version: str  # MinimumEngineVersion shown on every parameter of the family
    default_engine_version: str  # what seed helpers create instances with
    cluster_groups: bool  # Aurora, and Multi-AZ DB clusters (MySQL 8.0+, PostgreSQL 13+)


def _family(
    name: str, engine: Engine, major: tuple[int, ...], minimum: str, default: str
) -> Family:
    aurora = name.startswith("aurora-")
    # RDS UserGuide "Multi-AZ DB cluster deployments": MySQL and PostgreSQL only, not MariaDB.
    return Family(name, engine, major, aurora, minimum, default, engine is not Engine.MARIADB)


FAMILIES: Mapping[str, Family] = MappingProxyType(
    {
        family.name: family
        for family in (
            _family("postgres14", Engine.POSTGRES, (14,), "14.1", "14.12"),
            _family("postgres15", Engine.POSTGRES, (15,), "15.2", "15.7"),
            _family("postgres16", Engine.POSTGRES, (16,), "16.1", "16.3"),
            _family("postgres17", Engine.POSTGRES, (17,), "17.1", "17.2"),
            _family("aurora-postgresql14", Engine.POSTGRES, (14,), "14.3", "14.12"),
            _family("aurora-postgresql15", Engine.POSTGRES, (15,), "15.2", "15.7"),
            _family("aurora-postgresql16", Engine.POSTGRES, (16,), "16.1", "16.4"),
            _family("mysql8.0", Engine.MYSQL, (8, 0), "8.0.11", "8.0.39"),
            _family("mysql8.4", Engine.MYSQL, (8, 4), "8.4.3", "8.4.3"),
            _family(
                "aurora-mysql8.0",
                Engine.MYSQL,
                (8, 0),
                "8.0.mysql_aurora.3.01.0",
                "8.0.mysql_aurora.3.07.1",
            ),
            _family("mariadb10.6", Engine.MARIADB, (10, 6), "10.6.5", "10.6.19"),
            _family("mariadb10.11", Engine.MARIADB, (10, 11), "10.11.4", "10.11.9"),
            _family("mariadb11.4", Engine.MARIADB, (11, 4), "11.4.3", "11.4.3"),
        )
    }
)
_ENGINE_OF_FAMILY_PREFIX = (
    ("aurora-postgresql", "aurora-postgresql"),
    ("aurora-mysql", "aurora-mysql"),
    ("postgres", "postgres"),
    ("mysql", "mysql"),
    ("mariadb", "mariadb"),
)


@dataclass(frozen=True, slots=True)
class CatalogParameter:
    """One row of DescribeDBParameters, before the group's user values are merged in."""

    name: str
    value: str | None  # None: RDS shows no ParameterValue (the engine's built-in default applies)
    apply_type: str  # static | dynamic
    data_type: str  # integer | float | boolean | string | list
    allowed: str | None
    description: str
    source: str = "engine-default"  # or "system": RDS sets it (formulas, rds.* settings)
    modifiable: bool = True

    def row(self, family: Family) -> dict[str, Any]:
        """The Parameter structure (API_Parameter) as RDS lists an untouched parameter."""
        row: dict[str, Any] = {"ParameterName": self.name}
        if self.value is not None:
            row["ParameterValue"] = self.value
        row |= {
            "Description": self.description,
            "Source": self.source,
            "ApplyType": self.apply_type,
            "DataType": self.data_type,
            "IsModifiable": self.modifiable,
            "MinimumEngineVersion": family.minimum_engine_version,
            "ApplyMethod": "pending-reboot",
        }
        if self.allowed is not None:
            row["AllowedValues"] = self.allowed
        return row


# Version gates: (first major, last major or None). PostgreSQL release notes: idle_session_timeout
# and client_connection_check_interval are new in 14, transaction_timeout in 17; tcp_user_timeout
# in 12; old_snapshot_threshold was removed in 17; vacuum_buffer_usage_limit and scram_iterations
# are new in 16; io_combine_limit and summarize_wal in 17.
_PG_GATES: Mapping[str, tuple[int, int | None]] = {
    "idle_session_timeout": (14, None),
    "client_connection_check_interval": (14, None),
    "transaction_timeout": (17, None),
    "tcp_user_timeout": (12, None),
    "old_snapshot_threshold": (12, 16),
    "vacuum_buffer_usage_limit": (16, None),
    "scram_iterations": (16, None),
    "io_combine_limit": (17, None),
    "summarize_wal": (17, None),
}
# MySQL 8.4 release notes: default_authentication_plugin removed; innodb_log_file_size deprecated in
# favour of innodb_redo_log_capacity (8.0.30).
_MYSQL_GATES: Mapping[str, tuple[tuple[int, ...], tuple[int, ...] | None]] = {
    "default_authentication_plugin": ((8, 0), (8, 0)),
    "innodb_log_file_size": ((8, 0), (8, 0)),
    "innodb_redo_log_capacity": ((8, 4), None),
}
# Aurora manages storage, WAL and redo itself: those settings are not in Aurora families.
_NOT_ON_AURORA = frozenset(
    {
        "checkpoint_timeout",
        "checkpoint_completion_target",
        "max_wal_size",
        "min_wal_size",
        "wal_buffers",
        "wal_compression",
        "wal_keep_size",
        "archive_timeout",
        "full_page_writes",
        "summarize_wal",
        "old_snapshot_threshold",
        "innodb_log_file_size",
        "innodb_redo_log_capacity",
        "innodb_flush_log_at_trx_commit",
        "sync_binlog",
    }
)

S, D = "static", "dynamic"
INTEGER, FLOAT, LIST = "integer", "float", "list"

# Long values and AllowedValues lists, referenced as @NAME in the tables below.
_REFS: Mapping[str, str] = {
    "AUTOVACUUM_MAX_WORKERS_FORMULA": ("GREATEST({DBInstanceClassMemory/64371566592},3)"),
    "AUTOVACUUM_VACUUM_COST_LIMIT_FORMULA": (
        "GREATEST({log(DBInstanceClassMemory/21474836480)*600},200)"
    ),
    "PG_LEVELS_CLIENT": ("debug5,debug4,debug3,debug2,debug1,log,notice,warning,error"),
    "PG_ISOLATION": ("serializable,repeatable read,read committed,read uncommitted"),
    "PG_LEVELS_ERROR": (
        "debug5,debug4,debug3,debug2,debug1,info,notice,warning,error,log,fatal,panic"
    ),
    "PG_LEVELS_LOG": ("debug5,debug4,debug3,debug2,debug1,info,notice,warning,error,log,fatal"),
    "MAINTENANCE_WORK_MEM_FORMULA": ("GREATEST({DBInstanceClassMemory*1024/63963136},65536)"),
    "PG_PLAN_CACHE": ("auto,force_generic_plan,force_custom_plan"),
    "PG_LIBRARIES": (
        "auto_explain,orafce,pgaudit,pglogical,pg_cron,pg_hint_plan,pg_prewarm,pg_similarity,"
        "pg_stat_statements,pg_tle,pg_transport,plprofiler"
    ),
    "CHARSETS": (
        "big5,dec8,cp850,hp8,koi8r,latin1,latin2,swe7,ascii,ujis,sjis,hebrew,tis620,euckr,"
        "koi8u,gb2312,greek,cp1250,gbk,latin5,armscii8,utf8,ucs2,cp866,keybcs2,macce,macroman,"
        "cp852,latin7,utf8mb4,cp1251,utf16,cp1256,cp1257,utf32,binary,geostd8,cp932,eucjpms"
    ),
    "SQL_MODES": (
        "ALLOW_INVALID_DATES,ANSI_QUOTES,ERROR_FOR_DIVISION_BY_ZERO,HIGH_NOT_PRECEDENCE,"
        "IGNORE_SPACE,NO_AUTO_VALUE_ON_ZERO,NO_BACKSLASH_ESCAPES,NO_DIR_IN_CREATE,"
        "NO_ENGINE_SUBSTITUTION,NO_UNSIGNED_SUBTRACTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
        "ONLY_FULL_GROUP_BY,PAD_CHAR_TO_FULL_LENGTH,PIPES_AS_CONCAT,REAL_AS_FLOAT,"
        "STRICT_ALL_TABLES,STRICT_TRANS_TABLES,ANSI,TRADITIONAL"
    ),
    "MY_ISOLATION": ("READ-UNCOMMITTED,READ-COMMITTED,REPEATABLE-READ,SERIALIZABLE"),
    "MY_AUTH_PLUGINS": ("mysql_native_password,sha256_password,caching_sha2_password"),
    "MARIA_THREADS": ("one-thread-per-connection,pool-of-threads"),
}

# Table rows: name (a trailing ! = not modifiable) | value (- = RDS shows none) | s(tatic) or
# d(ynamic) | DataType | AllowedValues (- = none) | e(ngine-default) or s(ystem); @NAME = _REFS;
# then the Description on indented lines.
# PostgreSQL (runtime-config chapters of the PostgreSQL docs; postmaster context -> static).
_PG_TABLE = r"""
application_name | - | d | string | - | e
    Sets the application name to be reported.
array_nulls | - | d | boolean | 0,1 | e
    Enables input of NULL elements in arrays.
autovacuum | 1 | d | boolean | 0,1 | s
    Starts the autovacuum subprocess.
autovacuum_analyze_scale_factor | 0.05 | d | float | 0-100 | s
    Fraction of tuples before an analyze.
autovacuum_analyze_threshold | - | d | integer | 0-2147483647 | e
    Minimum number of tuple inserts, updates or deletes prior to analyze.
autovacuum_freeze_max_age | - | s | integer | 100000000-750000000 | e
    Age at which to autovacuum a table to prevent transaction ID wraparound.
autovacuum_max_workers | @AUTOVACUUM_MAX_WORKERS_FORMULA | s | integer | 1-262143 | s
    Sets the maximum number of simultaneously running autovacuum worker processes.
autovacuum_multixact_freeze_max_age | - | s | integer | 10000000-2000000000 | e
    Multixact age at which to autovacuum a table to prevent multixact wraparound.
autovacuum_naptime | 15 | d | integer | 1-2147483 | s
    Time to sleep between autovacuum runs.
autovacuum_vacuum_cost_delay | - | d | float | -1-100 | e
    Vacuum cost delay, in milliseconds, for autovacuum.
autovacuum_vacuum_cost_limit | @AUTOVACUUM_VACUUM_COST_LIMIT_FORMULA | d | integer | -1-10000 | s
    Vacuum cost amount available before napping, for autovacuum.
autovacuum_vacuum_insert_scale_factor | - | d | float | 0-100 | e
    Number of tuple inserts prior to vacuum as a fraction of reltuples.
autovacuum_vacuum_insert_threshold | - | d | integer | -1-2147483647 | e
    Minimum number of tuple inserts prior to vacuum.
autovacuum_vacuum_scale_factor | 0.1 | d | float | 0-100 | s
    Number of tuple updates or deletes prior to vacuum as a fraction of reltuples.
autovacuum_vacuum_threshold | - | d | integer | 0-2147483647 | e
    Minimum number of tuple updates or deletes prior to vacuum.
autovacuum_work_mem | - | d | integer | -1-2147483647 | e
    Sets the maximum memory to be used by each autovacuum worker process.
backslash_quote | - | d | string | safe_encoding,on,off | e
    Sets whether \' is allowed in string literals.
bgwriter_delay | - | d | integer | 10-10000 | e
    Background writer sleep time between rounds.
bgwriter_lru_maxpages | - | d | integer | 0-1073741823 | e
    Background writer maximum number of LRU pages to flush per round.
bgwriter_lru_multiplier | - | d | float | 0-10 | e
    Multiple of the average buffer usage to free per round.
bytea_output | - | d | string | escape,hex | e
    Sets the output format for bytea.
checkpoint_completion_target | - | d | float | 0-1 | e
    Time spent flushing dirty buffers during checkpoint, as fraction of checkpoint interval.
checkpoint_timeout | 300 | d | integer | 30-86400 | s
    Sets the maximum time between automatic WAL checkpoints.
client_encoding | - | d | string | - | e
    Sets the client's character set encoding.
client_min_messages | - | d | string | @PG_LEVELS_CLIENT | e
    Sets the message levels that are sent to the client.
commit_delay | - | d | integer | 0-100000 | e
    Sets the delay in microseconds between transaction commit and flushing WAL to disk.
commit_siblings | - | d | integer | 0-1000 | e
    Sets the minimum concurrent open transactions before performing commit_delay.
compute_query_id | - | d | string | auto,on,off,regress | e
    Enables in-core computation of query identifiers.
cpu_index_tuple_cost | - | d | float | 0-1.79769e+308 | e
    Sets the planner's estimate of the cost of processing each index entry during an index scan.
cpu_operator_cost | - | d | float | 0-1.79769e+308 | e
    Sets the planner's estimate of the cost of processing each operator or function call.
cpu_tuple_cost | - | d | float | 0-1.79769e+308 | e
    Sets the planner's estimate of the cost of processing each tuple (row).
datestyle | iso, mdy | d | list | - | s
    Sets the display format for date and time values.
deadlock_timeout | - | d | integer | 1-2147483647 | e
    Sets the time to wait on a lock before checking for deadlock.
default_statistics_target | - | d | integer | 1-10000 | e
    Sets the default statistics target.
default_toast_compression | - | d | string | pglz,lz4 | e
    Sets the default compression method for compressible values.
default_transaction_isolation | - | d | string | @PG_ISOLATION | e
    Sets the transaction isolation level of each new transaction.
default_transaction_read_only | - | d | boolean | 0,1 | e
    Sets the default read-only status of new transactions.
effective_cache_size | {DBInstanceClassMemory/16384} | d | integer | 1-2147483647 | s
    Sets the planner's assumption about the size of the disk cache.
effective_io_concurrency | - | d | integer | 0-1000 | e
    Number of simultaneous requests that can be handled efficiently by the disk subsystem.
enable_bitmapscan | - | d | boolean | 0,1 | e
    Enables the planner's use of bitmap-scan plans.
enable_hashjoin | - | d | boolean | 0,1 | e
    Enables the planner's use of hash join plans.
enable_indexscan | - | d | boolean | 0,1 | e
    Enables the planner's use of index-scan plans.
enable_mergejoin | - | d | boolean | 0,1 | e
    Enables the planner's use of merge join plans.
enable_nestloop | - | d | boolean | 0,1 | e
    Enables the planner's use of nested-loop join plans.
enable_partitionwise_aggregate | - | d | boolean | 0,1 | e
    Enables partitionwise aggregation and grouping.
enable_partitionwise_join | - | d | boolean | 0,1 | e
    Enables partitionwise join.
enable_seqscan | - | d | boolean | 0,1 | e
    Enables the planner's use of sequential-scan plans.
escape_string_warning | - | d | boolean | 0,1 | e
    Warn about backslash escapes in ordinary string literals.
extra_float_digits | - | d | integer | -15-3 | e
    Sets the number of digits displayed for floating-point values.
from_collapse_limit | - | d | integer | 1-2147483647 | e
    Sets the FROM-list size beyond which subqueries are not collapsed.
full_page_writes! | 1 | d | boolean | 0,1 | s
    Writes full pages to WAL when first modified after a checkpoint.
geqo | - | d | boolean | 0,1 | e
    Enables genetic query optimization.
geqo_threshold | - | d | integer | 2-2147483647 | e
    Sets the threshold of FROM items beyond which GEQO is used.
gin_pending_list_limit | - | d | integer | 64-2147483647 | e
    Sets the maximum size of the pending list for GIN index.
hash_mem_multiplier | - | d | float | 1-1000 | e
    Multiple of work_mem to use for hash tables.
hot_standby_feedback | - | d | boolean | 0,1 | e
    Allows feedback from a hot standby to the primary that will avoid query conflicts.
huge_pages | on | s | string | on,off | s
    Use of huge pages on Linux.
io_combine_limit | - | d | integer | 1-32 | e
    Limit on the size of data reads and writes.
jit | - | d | boolean | 0,1 | e
    Allow JIT compilation.
join_collapse_limit | - | d | integer | 1-2147483647 | e
    Sets the FROM-list size beyond which JOIN constructs are not flattened.
lc_messages | - | d | string | - | e
    Sets the language in which messages are displayed.
lc_monetary | - | d | string | - | e
    Sets the locale for formatting monetary amounts.
lc_numeric | - | d | string | - | e
    Sets the locale for formatting numbers.
lc_time | - | d | string | - | e
    Sets the locale for formatting date and time values.
log_autovacuum_min_duration | 10000 | d | integer | -1-2147483647 | s
    Sets the minimum execution time above which autovacuum actions will be logged.
log_checkpoints | 1 | d | boolean | 0,1 | s
    Logs each checkpoint.
log_connections | - | d | boolean | 0,1 | e
    Logs each successful connection.
log_disconnections | - | d | boolean | 0,1 | e
    Logs end of a session, including duration.
log_error_verbosity | - | d | string | terse,default,verbose | e
    Sets the verbosity of logged messages.
log_line_prefix! | %t:%r:%u@%d:[%p]: | d | string | - | s
    Controls information prefixed to each log line.
log_lock_waits | - | d | boolean | 0,1 | e
    Logs long lock waits.
log_min_duration_statement | - | d | integer | -1-2147483647 | e
    Sets the minimum execution time above which statements will be logged.
log_min_error_statement | - | d | string | @PG_LEVELS_ERROR | e
    Causes all statements generating error at or above this level to be logged.
log_min_messages | - | d | string | @PG_LEVELS_LOG | e
    Sets the message levels that are logged.
log_parameter_max_length | - | d | integer | -1-1073741823 | e
    Sets the maximum length in bytes of data logged for bind parameter values when logging
    statements.
log_rotation_age | 60 | d | integer | 1-1440 | s
    Automatic log file rotation will occur after N minutes.
log_rotation_size | 100000 | d | integer | 50000-1000000 | s
    Automatic log file rotation will occur after N kilobytes.
log_statement | - | d | string | none,ddl,mod,all | e
    Sets the type of statements logged.
log_temp_files | - | d | integer | -1-2147483647 | e
    Log the use of temporary files larger than this number of kilobytes.
logical_decoding_work_mem | - | d | integer | 64-2147483647 | e
    Sets the maximum memory to be used for logical decoding.
maintenance_work_mem | @MAINTENANCE_WORK_MEM_FORMULA | d | integer | 1024-2147483647 | s
    Sets the maximum memory to be used for maintenance operations.
max_connections | LEAST({DBInstanceClassMemory/9531392},5000) | s | integer | 6-262143 | s
    Sets the maximum number of concurrent connections.
max_locks_per_transaction | - | s | integer | 10-2147483647 | e
    Sets the maximum number of locks per transaction.
max_logical_replication_workers | - | s | integer | 0-262143 | e
    Maximum number of logical replication worker processes.
max_parallel_maintenance_workers | - | d | integer | 0-1024 | e
    Sets the maximum number of parallel processes per maintenance operation.
max_parallel_workers | - | d | integer | 0-1024 | e
    Sets the maximum number of parallel workers that can be active at one time.
max_parallel_workers_per_gather | - | d | integer | 0-1024 | e
    Sets the maximum number of parallel processes per executor node.
max_pred_locks_per_transaction | - | s | integer | 10-2147483647 | e
    Sets the maximum number of predicate locks per transaction.
max_prepared_transactions | - | s | integer | 0-262143 | e
    Sets the maximum number of simultaneously prepared transactions.
max_replication_slots | 20 | s | integer | 5-262143 | s
    Sets the maximum number of simultaneously defined replication slots.
max_slot_wal_keep_size | - | d | integer | -1-2147483647 | e
    Sets the maximum WAL size that can be reserved by replication slots.
max_stack_depth | 6144 | d | integer | 100-2147483647 | s
    Sets the maximum stack depth, in kilobytes.
max_standby_archive_delay | - | d | integer | -1-2147483647 | e
    Sets the maximum delay before canceling queries when a hot standby server is processing
    archived WAL data.
max_standby_streaming_delay | - | d | integer | -1-2147483647 | e
    Sets the maximum delay before canceling queries when a hot standby server is processing
    streamed WAL data.
max_wal_senders | 20 | s | integer | 5-262143 | s
    Sets the maximum number of simultaneously running WAL sender processes.
max_wal_size | 2048 | d | integer | 2-2147483647 | s
    Sets the WAL size that triggers a checkpoint.
max_worker_processes | GREATEST({DBInstanceVCPU*2},8) | s | integer | 0-262143 | s
    Maximum number of concurrent worker processes.
min_parallel_index_scan_size | - | d | integer | 0-715827882 | e
    Sets the minimum amount of index data for a parallel scan.
min_parallel_table_scan_size | - | d | integer | 0-715827882 | e
    Sets the minimum amount of table data for a parallel scan.
min_wal_size | 192 | d | integer | 2-2147483647 | s
    Sets the minimum size to shrink the WAL to.
old_snapshot_threshold | - | s | integer | -1-86400 | e
    Time before a snapshot is too old to read pages changed after the snapshot was taken.
parallel_setup_cost | - | d | float | 0-1.79769e+308 | e
    Sets the planner's estimate of the cost of starting up worker processes for parallel query.
parallel_tuple_cost | - | d | float | 0-1.79769e+308 | e
    Sets the planner's estimate of the cost of passing each tuple (row) from worker to leader
    backend.
password_encryption | scram-sha-256 | d | string | md5,scram-sha-256 | s
    Chooses the algorithm for encrypting passwords.
pg_stat_statements.max | - | s | integer | 100-2147483647 | e
    Sets the maximum number of statements tracked by pg_stat_statements.
pg_stat_statements.track | - | d | string | none,top,all | e
    Selects which statements are tracked by pg_stat_statements.
plan_cache_mode | - | d | string | @PG_PLAN_CACHE | e
    Controls the planner's selection of custom or generic plan.
random_page_cost | - | d | float | 0-1.79769e+308 | e
    Sets the planner's estimate of the cost of a nonsequentially fetched disk page.
rds.force_ssl | - | d | boolean | 0,1 | e
    Force SSL connections.
rds.log_retention_period | 4320 | d | integer | 1440-10080 | s
    Amazon RDS will delete PostgreSQL logs that are older than N minutes.
rds.logical_replication | 0 | s | boolean | 0,1 | s
    Enables logical decoding.
rds.rds_superuser_reserved_connections | - | s | integer | 0-8388607 | e
    Sets the number of connection slots reserved for rds_superusers.
scram_iterations | - | d | integer | 1-2147483647 | e
    Sets the iteration count for SCRAM secret generation.
search_path | - | d | string | - | e
    Sets the schema search order for names that are not schema-qualified.
seq_page_cost | - | d | float | 0-1.79769e+308 | e
    Sets the planner's estimate of the cost of a sequentially fetched disk page.
session_replication_role | - | d | string | origin,replica,local | e
    Sets the sessions behavior for triggers and rewrite rules.
shared_buffers | {DBInstanceClassMemory/32768} | s | integer | 16-1073741823 | s
    Sets the number of shared memory buffers used by the server.
shared_preload_libraries | pg_stat_statements | s | list | @PG_LIBRARIES | s
    Lists shared libraries to preload into server.
ssl_min_protocol_version | TLSv1.2 | d | string | TLSv1,TLSv1.1,TLSv1.2,TLSv1.3 | s
    Sets the minimum SSL/TLS protocol version to use.
standard_conforming_strings | - | d | boolean | 0,1 | e
    Causes '...' strings to treat backslashes literally.
summarize_wal | - | d | boolean | 0,1 | e
    Starts the WAL summarizer process to enable incremental backup.
synchronous_commit | - | d | string | local,on,off | e
    Sets the current transactions synchronization level.
tcp_keepalives_count | 2 | d | integer | 0-2147483647 | s
    Maximum number of TCP keepalive retransmits.
temp_buffers | - | d | integer | 100-1073741823 | e
    Sets the maximum number of temporary buffers used by each session.
temp_file_limit | - | d | integer | -1-2147483647 | e
    Limits the total size of all temporary files used by each session.
timezone | UTC | d | string | - | s
    Sets the time zone for displaying and interpreting time stamps.
track_activities | - | d | boolean | 0,1 | e
    Collects information about executing commands.
track_activity_query_size | 4096 | s | integer | 100-1048576 | s
    Sets the size reserved for pg_stat_activity.query, in bytes.
track_commit_timestamp | - | s | boolean | 0,1 | e
    Collects transaction commit time.
track_counts | - | d | boolean | 0,1 | e
    Collects statistics on database activity.
track_functions | pl | d | string | none,pl,all | s
    Collects function-level statistics on database activity.
track_io_timing | 1 | d | boolean | 0,1 | s
    Collects timing statistics on database IO activity.
track_wal_io_timing | - | d | boolean | 0,1 | e
    Collects timing statistics for WAL I/O activity.
vacuum_buffer_usage_limit | - | d | integer | 0-16777216 | e
    Sets the buffer pool size for VACUUM, ANALYZE, and autovacuum.
vacuum_cost_delay | - | d | float | 0-100 | e
    Vacuum cost delay in milliseconds.
vacuum_cost_limit | - | d | integer | 1-10000 | e
    Vacuum cost amount available before napping.
vacuum_failsafe_age | - | d | integer | 0-2100000000 | e
    Age at which VACUUM should trigger failsafe to avoid a wraparound outage.
vacuum_freeze_min_age | - | d | integer | 0-1000000000 | e
    Minimum age at which VACUUM should freeze a table row.
vacuum_freeze_table_age | - | d | integer | 0-2000000000 | e
    Age at which VACUUM should scan whole table to freeze tuples.
wal_buffers | - | s | integer | -1-262143 | e
    Sets the number of disk-page buffers in shared memory for WAL.
wal_compression | - | d | string | off,on,pglz,lz4,zstd | e
    Compresses full-page writes written in WAL file with specified method.
wal_keep_size | 2048 | d | integer | 0-2147483647 | s
    Sets the size of WAL files held for standby servers.
wal_receiver_timeout | 30000 | d | integer | 0-3600000 | s
    Sets the maximum wait time to receive data from the sending server.
wal_sender_timeout | 30000 | d | integer | 0-3600000 | s
    Sets the maximum time to wait for WAL replication.
work_mem | - | d | integer | 64-2147483647 | e
    Sets the maximum memory to be used for query workspaces.
xmlbinary | - | d | string | base64,hex | e
    Sets how binary values are to be encoded in XML.
xmloption | - | d | string | content,document | e
    Sets whether XML data in implicit parsing and serialization operations is to be considered as
    documents or content fragments.
"""

# MySQL 8.0 / 8.4 reference manual, server system variables ("Dynamic: No" -> static); most
# also apply to MariaDB (MariaDB knowledge base, server system variables).
_MY_COMMON_TABLE = r"""
autocommit | - | d | boolean | 0,1 | e
    Sets the autocommit mode.
binlog_cache_size | 32768 | d | integer | 4096-18446744073709547520 | s
    The size of the cache to hold the SQL statements for the binary log during a transaction.
binlog_format | ROW | d | string | ROW,STATEMENT,MIXED | s
    Binary logging format for replication.
binlog_row_image | - | d | string | full,minimal,noblob | e
    Whether to log full or minimal rows.
character_set_client | - | d | string | @CHARSETS | e
    The character set for statements that arrive from the client.
character_set_server | - | d | string | @CHARSETS | e
    The server's default character set.
collation_server | - | d | string | - | e
    The server's default collation.
connect_timeout | - | d | integer | 2-31536000 | e
    The number of seconds the server waits for a connect packet before responding with Bad
    handshake.
event_scheduler | - | d | string | ON,OFF | e
    Indicates the status of the Event Scheduler.
explicit_defaults_for_timestamp | 1 | d | boolean | 0,1 | s
    Controls how TIMESTAMP columns handle default values and NULL.
general_log | - | d | boolean | 0,1 | e
    Whether the general query log is enabled.
group_concat_max_len | - | d | integer | 4-18446744073709551615 | e
    The maximum allowed result length in bytes for the GROUP_CONCAT() function.
innodb_adaptive_hash_index | - | d | boolean | 0,1 | e
    Whether innodb adaptive hash indexes are enabled or disabled.
innodb_autoinc_lock_mode | - | s | integer | 0-2 | e
    The locking mode to use for generating auto-increment values.
innodb_buffer_pool_instances | - | s | integer | 1-64 | e
    The number of regions that the InnoDB buffer pool is divided into.
innodb_buffer_pool_size | {DBInstanceClassMemory*3/4} | s | integer | 0-18446744073709551615 | s
    The size in bytes of the memory buffer innodb uses to cache data and indexes of its tables.
innodb_deadlock_detect | - | d | boolean | 0,1 | e
    Enables or disables deadlock detection.
innodb_file_per_table | 1 | d | boolean | 0,1 | s
    Use tablespaces or files for Innodb.
innodb_flush_log_at_trx_commit | 1 | d | integer | 0-2 | s
    Determines Innodb transaction durability.
innodb_io_capacity | - | d | integer | 100-18446744073709551615 | e
    The number of I/O operations per second (IOPS) available to InnoDB background tasks.
innodb_io_capacity_max | - | d | integer | 100-18446744073709551615 | e
    The maximum number of IOPS performed by InnoDB background tasks.
innodb_log_file_size | 134217728 | s | integer | 4194304-273804165120 | s
    The size in bytes of each log file in a log group.
innodb_open_files | - | s | integer | 10-2147483647 | e
    The maximum number of files InnoDB keeps open at one time.
innodb_print_all_deadlocks | - | d | boolean | 0,1 | e
    Whether to print all deadlocks to the error log.
innodb_purge_threads | - | s | integer | 1-32 | e
    The number of background threads devoted to the InnoDB purge operation.
innodb_read_io_threads | - | s | integer | 1-64 | e
    The number of I/O threads for read operations in InnoDB.
innodb_redo_log_capacity | - | d | integer | 8388608-137438953472 | e
    Defines the amount of disk space occupied by redo log files.
innodb_sort_buffer_size | - | s | integer | 65536-67108864 | e
    Specifies the size of sort buffers used to sort data during creation of an InnoDB index.
innodb_stats_persistent | - | d | boolean | 0,1 | e
    Specifies whether InnoDB index statistics are persisted to disk.
innodb_thread_concurrency | - | d | integer | 0-1000 | e
    Sets the maximum number of threads allowed inside InnoDB.
innodb_write_io_threads | - | s | integer | 1-64 | e
    The number of I/O threads for write operations in InnoDB.
join_buffer_size | - | d | integer | 128-18446744073709547520 | e
    Increase the value of join_buffer_size to get a faster full join when adding indexes is not
    possible.
local_infile | 1 | d | boolean | 0,1 | s
    Controls whether LOCAL is supported for LOAD DATA INFILE.
log_bin_trust_function_creators | - | d | boolean | 0,1 | e
    Enforces restrictions on stored functions / triggers - logging for replication.
log_output | TABLE | d | string | TABLE,FILE,NONE | s
    Controls where to store query logs.
long_query_time | - | d | float | 0-31536000 | e
    Defines what MySQL considers long queries.
lower_case_table_names! | - | s | integer | 0,1 | e
    Affects how the server handles identifier case sensitivity.
max_allowed_packet | - | d | integer | 1024-1073741824 | e
    This value by default is small, to catch large (possibly incorrect) packets. Must be increased
    if using large BLOB columns or long strings.
max_connect_errors | - | d | integer | 1-18446744073709551615 | e
    A host is blocked from further connections if there are more than this number of interrupted
    connections.
max_connections | {DBInstanceClassMemory/12582880} | d | integer | 1-100000 | s
    The number of simultaneous client connections allowed.
max_heap_table_size | - | d | integer | 16384-1844674407370954752 | e
    Maximum size to which MEMORY tables are allowed to grow.
max_prepared_stmt_count | - | d | integer | 0-1048576 | e
    Maximum number of prepared statements in the server.
max_user_connections | - | d | integer | 0-4294967295 | e
    The maximum number of simultaneous connections permitted to any given MySQL account.
open_files_limit | - | s | integer | 0-65535 | e
    The number of files that the operating system permits mysqld to open.
performance_schema | - | s | boolean | 0,1 | e
    Enables or disables the Performance Schema.
read_buffer_size | 262144 | d | integer | 8200-2147479552 | s
    Each thread that does a sequential scan allocates this buffer.
read_rnd_buffer_size | 524288 | d | integer | 8200-2147483647 | s
    Used after a sort when reading rows in sorted order.
require_secure_transport | - | d | boolean | 0,1 | e
    Whether client connections must use a secure transport.
skip_name_resolve! | 1 | s | boolean | 0,1 | s
    Do not resolve host names when checking client connections.
slow_query_log | - | d | boolean | 0,1 | e
    Enable or disable the slow query log.
sort_buffer_size | - | d | integer | 32768-18446744073709551615 | e
    Larger value improves perf for ORDER BY or GROUP BY operations.
sql_mode | - | d | list | @SQL_MODES | e
    Current SQL Server Mode.
sync_binlog | - | d | integer | 0-18446744073709547520 | e
    Sync binlog (MySQL flush to disk or rely on OS).
table_open_cache | LEAST({DBInstanceClassMemory/1179121},6000) | d | integer | 1-524288 | s
    The number of open tables for all threads.
thread_cache_size | - | d | integer | 0-16384 | e
    How many threads the server should cache for reuse.
thread_stack | 262144 | s | integer | 131072-18446744073709547520 | s
    The stack size for each thread.
time_zone | - | d | string | - | e
    The server's time zone.
tmp_table_size | - | d | integer | 1024-18446744073709551615 | e
    If an in-memory temporary table exceeds the limit, MySQL automatically converts it to an on-
    disk table.
transaction_isolation | - | d | string | @MY_ISOLATION | e
    Sets the default transaction isolation level.
"""

# MySQL only.
_MYSQL_TABLE = r"""
default_authentication_plugin | - | s | string | @MY_AUTH_PLUGINS | e
    The default authentication plugin.
tls_version | TLSv1.2,TLSv1.3 | s | list | TLSv1,TLSv1.1,TLSv1.2,TLSv1.3 | s
    Which TLS versions are permitted for encrypted connections.
"""

# MariaDB only (knowledge base: server and thread pool system variables).
_MARIADB_TABLE = r"""
aria_pagecache_buffer_size | - | s | integer | 131072-18446744073709551615 | e
    The size of the buffer used for index and data blocks for Aria tables.
query_cache_size | - | d | integer | 0-18446744073709551615 | e
    The memory allocated to store results from old queries.
query_cache_type | - | d | integer | 0-2 | e
    Query cache type to use.
thread_handling | - | s | string | @MARIA_THREADS | e
    Determines how the server handles threads for client connections.
thread_pool_size | - | d | integer | 1-128 | e
    Number of thread groups in the pool.
tls_version | - | s | list | TLSv1.0,TLSv1.1,TLSv1.2,TLSv1.3 | e
    Which TLS protocol versions are permitted for encrypted connections.
"""


def _cell(text: str) -> str | None:
    return None if text == "-" else _REFS[text[1:]] if text.startswith("@") else text


def _parse_table(text: str) -> tuple[CatalogParameter, ...]:
    """Rows of the tables above, as CatalogParameter."""
    heads: list[list[str]] = []
    descriptions: list[list[str]] = []
    for line in text.strip("\n").splitlines():
        if line.startswith(" "):
            descriptions[-1].append(line.strip())
        else:
            heads.append([cell.strip() for cell in line.split("|")])
            descriptions.append([])
    return tuple(
        CatalogParameter(
            name=name.rstrip("!"),
            value=_cell(value),
            apply_type=S if apply_type == "s" else D,
            data_type=data_type,
            allowed=_cell(allowed),
            description=" ".join(description),
            source="system" if source == "s" else "engine-default",
            modifiable=not name.endswith("!"),
        )
        for (name, value, apply_type, data_type, allowed, source), description in zip(
            heads, descriptions, strict=True
        )
    )


_PG_UNRELATED = _parse_table(_PG_TABLE)
_MY_COMMON = _parse_table(_MY_COMMON_TABLE)
_MYSQL_ONLY = _parse_table(_MYSQL_TABLE)
_MARIADB_ONLY = _parse_table(_MARIADB_TABLE)


def _managed(family: Family) -> Iterator[CatalogParameter]:
    """The parameters cloudtimeouts manages, AWS-shaped, with RDS's defaults."""
    for spec in parameters(family.engine).values():
        low, high = spec.minimum.to_native(spec.unit), spec.maximum.to_native(spec.unit)
        fractional = "." in low + high or spec.unit.name.startswith("FRACTIONAL")
        aws_default = spec.default_for(Provider.AWS)
        # RDS lists the value it sets itself (source "system", e.g. the PostgreSQL keepalives);
        # where the engine's own default applies, it shows none.
        differs = aws_default != spec.default
        yield CatalogParameter(
            spec.name,
            aws_default.to_native(spec.unit) if differs else None,
            spec.apply_type_for(Provider.AWS).value,
            FLOAT if fractional else INTEGER,
            f"{low}-{high}",
            spec.summary[:1].upper() + spec.summary[1:] + ".",
            "system" if differs else "engine-default",
        )


def _in_family(family: Family, name: str) -> bool:
    if family.aurora and name in _NOT_ON_AURORA:
        return False
    if family.engine is Engine.POSTGRES and name in _PG_GATES:
        first, last = _PG_GATES[name]
        return family.major[0] >= first and (last is None or family.major[0] <= last)
    if family.engine is Engine.MYSQL and name in _MYSQL_GATES:
        first_v, last_v = _MYSQL_GATES[name]
        return family.major >= first_v and (last_v is None or family.major <= last_v)
    return True


@cache
def family_catalogue(family_name: str) -> Mapping[str, CatalogParameter]:
    """Every parameter of a family, sorted by name as RDS lists them."""
    family = FAMILIES[family_name]
    if family.engine is Engine.POSTGRES:
        unrelated: tuple[CatalogParameter, ...] = _PG_UNRELATED
        if family.major[0] >= 15:  # ssl-certificate-rotation-postgresql: default 1 from PG15
            unrelated = tuple(
                dataclasses.replace(p, value="1", source="system")
                if p.name == "rds.force_ssl"
                else p
                for p in unrelated
            )
    elif family.engine is Engine.MYSQL:
        unrelated = _MY_COMMON + _MYSQL_ONLY
    else:
        unrelated = tuple(p for p in _MY_COMMON if p.name != "tls_version") + _MARIADB_ONLY
    rows = {p.name: p for p in unrelated if _in_family(family, p.name)}
    rows |= {p.name: p for p in _managed(family) if _in_family(family, p.name)}
    return MappingProxyType(dict(sorted(rows.items())))


# ---------------------------------------------------------------------------------------------
# Errors and XML
# ---------------------------------------------------------------------------------------------
class RdsError(Exception):
    """An RDS error answer: code, message, HTTP status (400 unless the model says otherwise)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


def _group_not_found(name: str, cluster: bool) -> RdsError:
    # DBParameterGroupNotFoundFault: code DBParameterGroupNotFound, HTTP 404 (botocore model).
    kind = "DBClusterParameterGroup" if cluster else "DBParameterGroup"
    return RdsError("DBParameterGroupNotFound", f"{kind} not found: {name}", 404)


@cache
def _service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("rds")


def _append(parent: ET.Element, tag: str, shape: Any, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            if isinstance(value, Mapping) and value.get(name) is not None:
                _append(element, member.serialization.get("name", name), member, value[name])
    elif kind == "list":
        item_tag = shape.member.serialization.get("name", "member")
        for item in value:
            _append(element, item_tag, shape.member, item)
    elif kind == "boolean":
        element.text = "true" if value else "false"
    elif kind == "timestamp" and isinstance(value, datetime):
        element.text = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    else:
        element.text = str(value)


def render(action: str, result: Mapping[str, Any] | None, request_id: str) -> bytes:
    """A Query-protocol success answer, shaped by botocore's model of the action's output."""
    root = ET.Element(f"{action}Response", xmlns=NAMESPACE)
    operation = _service_model().operation_model(action)
    output = operation.output_shape
    if output is not None:
        wrapper = ET.SubElement(root, output.serialization.get("resultWrapper", f"{action}Result"))
        for name, member in output.members.items():
            if result and result.get(name) is not None:
                _append(wrapper, member.serialization.get("name", name), member, result[name])
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = request_id
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def render_error(error: RdsError, request_id: str) -> bytes:
    """The RDS error document (Query protocol): ErrorResponse/Error/{Type,Code,Message}."""
    root = ET.Element("ErrorResponse", xmlns=NAMESPACE)
    body = ET.SubElement(root, "Error")
    ET.SubElement(body, "Type").text = "Sender" if error.status < 500 else "Receiver"
    ET.SubElement(body, "Code").text = error.code
    ET.SubElement(body, "Message").text = error.message
    ET.SubElement(root, "RequestId").text = request_id
    return ET.tostring(root, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------------
@dataclass
class _Group:
    name: str
    family: str
    description: str
    cluster: bool
    values: dict[str, str] = field(default_factory=dict)  # user-set values (Source "user")
    methods: dict[str, str] = field(default_factory=dict)  # the ApplyMethod each was set with

    def arn(self, region: str) -> str:
        kind = "cluster-pg" if self.cluster else "pg"
        return f"arn:aws:rds:{region}:{ACCOUNT_ID}:{kind}:{self.name}"

    def describe(self, region: str) -> dict[str, str]:
        if self.cluster:
            return {
                "DBClusterParameterGroupName": self.name,
                "DBParameterGroupFamily": self.family,
                "Description": self.description,
                "DBClusterParameterGroupArn": self.arn(region),
            }
        return {
            "DBParameterGroupName": self.name,
            "DBParameterGroupFamily": self.family,
            "Description": self.description,
            "DBParameterGroupArn": self.arn(region),
        }


def _default_group(family: Family, cluster: bool) -> _Group:
    kind = "cluster parameter group" if cluster else "parameter group"
    return _Group(
        f"default.{family.name}", family.name, f"Default {kind} for {family.name}", cluster
    )


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:  # wording from hashicorp/terraform#13279 (a real RDS answer)
        raise RdsError(
            "InvalidParameterValue", f"The parameter {name} must be provided and must not be blank."
        )
    return value


def _parameters_in(form: Mapping[str, str]) -> list[dict[str, str]]:
    """Parameters.Parameter.N.Field (botocore's query serialisation of ParametersList)."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        parts = key.split(".")
        if len(parts) == 4 and parts[:2] == ["Parameters", "Parameter"] and parts[2].isdigit():
            rows.setdefault(int(parts[2]), {})[parts[3]] = value
    return [rows[index] for index in sorted(rows)]


def _max_records(form: Mapping[str, str]) -> int:
    raw = form.get("MaxRecords")
    if raw is None:
        return MAX_RECORDS
    try:
        number = int(raw)
    except ValueError:
        number = -1
    if not MIN_RECORDS <= number <= MAX_RECORDS:
        # Wording of the real DescribeOrderableDBInstanceOptions answer, with this action's bounds.
        raise RdsError(
            "InvalidParameterValue",
            f"Invalid value {raw} for MaxRecords. Must be between {MIN_RECORDS} and {MAX_RECORDS}",
        )
    return number


def _paginate(items: list[Any], form: Mapping[str, str], scope: str) -> tuple[list[Any], str]:
    """One page of `items` and the Marker for the next ("" when this is the last page)."""
    size = _max_records(form)
    start = 0
    if form.get("Marker"):
        try:
            token_scope, _, offset = (
                base64.urlsafe_b64decode(form["Marker"]).decode().rpartition("|")
            )
            start = int(offset)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            token_scope, start = "", -1
        if token_scope != scope or not 0 <= start <= len(items):
            raise RdsError("InvalidParameterValue", "The marker is not valid.")  # UNVERIFIED
    end = start + size
    marker = (
        base64.urlsafe_b64encode(f"{scope}|{end}".encode()).decode() if end < len(items) else ""
    )
    return items[start:end], marker


def _value_allowed(parameter: CatalogParameter, value: str) -> bool:
    numeric = parameter.data_type in (INTEGER, FLOAT)
    if numeric and _FORMULA.match(value.replace(" ", "")):
        return True
    if parameter.allowed is None:
        return True
    choices = [choice.strip() for choice in parameter.allowed.split(",")]
    if parameter.data_type == LIST:
        wanted = [item.strip() for item in value.split(",") if item.strip()]
        return all(item.lower() in {c.lower() for c in choices} for item in wanted)
    for choice in choices:
        bounds = _NUMBER_RANGE.match(choice)
        if bounds and numeric:
            if parameter.data_type == INTEGER and not re.fullmatch(r"-?\d+", value):
                return False
            try:
                number = Decimal(value)
            except InvalidOperation:
                return False
            if Decimal(bounds[1]) <= number <= Decimal(bounds[2]):
                return True
        elif choice.lower() == value.strip().lower():
            return True
    return False


# ---------------------------------------------------------------------------------------------
# The WSGI application
# ---------------------------------------------------------------------------------------------
Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class _Layer:
    """Answers parameter-group actions itself; forwards the rest to moto's WSGI app."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )

        self.moto = DomainDispatcherApplication(create_backend_app)
        self.lock = threading.RLock()
        self.groups: dict[tuple[str, bool, str], _Group] = {}
        # (region, "db" | "cluster", instance identifier, group name) waiting for a reboot
        self.pending: set[tuple[str, str, str, str]] = set()
        self.calls: Counter[str] = Counter()
        self.last_params: dict[str, dict[str, str]] = {}
        self.handlers: dict[str, Callable[[str, Mapping[str, str], Environ], tuple[int, bytes]]]
        self.handlers = {
            "DescribeDBParameters": self._describe_parameters,
            "DescribeDBClusterParameters": self._describe_parameters,
            "DescribeDBParameterGroups": self._describe_groups,
            "DescribeDBClusterParameterGroups": self._describe_groups,
            "DescribeEngineDefaultParameters": self._engine_defaults,
            "DescribeEngineDefaultClusterParameters": self._engine_defaults,
            "ModifyDBParameterGroup": self._modify,
            "ModifyDBClusterParameterGroup": self._modify,
            "ResetDBParameterGroup": self._reset,
            "ResetDBClusterParameterGroup": self._reset,
            "CreateDBParameterGroup": self._create,
            "CreateDBClusterParameterGroup": self._create,
            "CopyDBParameterGroup": self._copy,
            "CopyDBClusterParameterGroup": self._copy,
            "DeleteDBParameterGroup": self._delete,
            "DeleteDBClusterParameterGroup": self._delete,
            "RebootDBCluster": self._reboot_cluster,
        }

    # -- WSGI ----------------------------------------------------------------------------------
    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        body = self._read_body(environ)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        action = form.get("Action", "")
        if environ.get("REQUEST_METHOD") != "POST" or not action or _service(environ) != "rds":
            return self.moto(self._rewound(environ, body), start_response)
        region = _region(environ)
        request_id = str(uuid.uuid4())
        environ[_REQUEST_ID] = request_id
        with self.lock:
            self.calls[action] += 1
            self.last_params[action] = dict(form)
        handler = self.handlers.get(action)
        try:
            if handler is None:
                status, payload, headers = self._forward(environ, body, action, region)
            else:
                with self.lock:
                    status, payload = handler(region, form, environ)
                headers = [("Content-Type", "text/xml")]
        except RdsError as error:
            status, payload = error.status, render_error(error, request_id)
            headers = [("Content-Type", "text/xml")]
        headers = [
            (k, v) for k, v in headers if k.lower() not in ("content-length", "x-amzn-requestid")
        ]
        headers += [("Content-Length", str(len(payload))), ("x-amzn-RequestId", request_id)]
        start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
        return [payload]

    @staticmethod
    def _read_body(environ: Environ) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        return environ["wsgi.input"].read(length) if length > 0 else b""

    @staticmethod
    def _rewound(environ: Environ, body: bytes) -> Environ:
        copy = dict(environ)
        copy["wsgi.input"] = io.BytesIO(body)
        copy["CONTENT_LENGTH"] = str(len(body))
        return copy

    # -- moto ----------------------------------------------------------------------------------
    def _call_moto(self, environ: Environ, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            captured["status"], captured["headers"] = int(status.split()[0]), headers

        chunks = self.moto(self._rewound(environ, body), start_response)
        try:
            payload = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        return captured["status"], captured["headers"], payload

    def internal(self, region: str, action: str, params: Mapping[str, str]) -> ET.Element:
        """Calls moto (never this layer) and returns the parsed answer; raises RdsError."""
        from werkzeug.test import EnvironBuilder

        body = urlencode({"Action": action, "Version": API_VERSION, **params}).encode()
        builder = EnvironBuilder(
            method="POST",
            path="/",
            headers={
                "Host": f"rds.{region}.amazonaws.com",
                "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDSANDBOX/20240101/{region}/rds/"
                "aws4_request, SignedHeaders=host, Signature=0",
            },
            data=body,
            content_type="application/x-www-form-urlencoded; charset=utf-8",
        )
        try:
            status, _headers, payload = self._call_moto(builder.get_environ(), body)
        finally:
            builder.close()
        root = ET.fromstring(payload)
        if status >= 300:
            code = root.findtext(f".//{{{NAMESPACE}}}Code") or root.findtext(".//Code") or "Error"
            message = root.findtext(f".//{{{NAMESPACE}}}Message") or root.findtext(".//Message")
            raise RdsError(code, message or "", status)
        return root

    def _forward(
        self, environ: Environ, body: bytes, action: str, region: str
    ) -> tuple[int, bytes, list[tuple[str, str]]]:
        with self.lock:
            self._check_groups(action, region, body)
        status, headers, payload = self._call_moto(environ, body)
        if status < 300:
            with self.lock:
                if action == "RebootDBInstance":
                    identifier = dict(parse_qsl(body.decode())).get("DBInstanceIdentifier", "")
                    self._clear_pending(region, [identifier])
                if b"<DBParameterGroups>" in payload or b"<DBClusterMembers>" in payload:
                    payload = self._rewrite_statuses(region, payload)
        return status, payload, headers

    def _check_groups(self, action: str, region: str, body: bytes) -> None:
        """What moto lets through: unknown cluster groups, a group of another family."""
        form = dict(parse_qsl(body.decode()))
        if action == "CreateDBInstance" and form.get("DBParameterGroupName"):
            group = self._find(region, False, form["DBParameterGroupName"])
            wanted = _family_for(form.get("Engine", ""), form.get("EngineVersion", ""))
            if group is not None and wanted and group.family != wanted:
                # Real wording: aws-quickstart/quickstart-r3-corda#25.
                raise RdsError(
                    "InvalidParameterCombination",
                    f"The Parameter Group {group.name} with DBParameterGroupFamily "
                    f"{group.family} cannot be used for this instance. Please use a Parameter "
                    f"Group with DBParameterGroupFamily {wanted}",
                )
        if action not in ("CreateDBCluster", "ModifyDBCluster"):
            return
        name = form.get("DBClusterParameterGroupName")
        if name and self._find(region, True, name) is None:
            # API_CreateDBCluster: DBClusterParameterGroupNotFound (HTTP 404).
            raise RdsError(
                "DBClusterParameterGroupNotFound",
                f"DBClusterParameterGroup not found: {name}",
                404,
            )

    # -- pending-reboot ------------------------------------------------------------------------
    def _rewrite_statuses(self, region: str, payload: bytes) -> bytes:
        """moto says in-sync everywhere; show pending-reboot where our state says so."""
        root = ET.fromstring(payload)
        ns = f"{{{NAMESPACE}}}"
        for instance in root.iter(f"{ns}DBInstance"):
            identifier = instance.findtext(f"{ns}DBInstanceIdentifier") or ""
            for group in instance.iter(f"{ns}DBParameterGroup"):
                name = group.findtext(f"{ns}DBParameterGroupName") or ""
                status = group.find(f"{ns}ParameterApplyStatus")
                if status is not None and (region, "db", identifier, name) in self.pending:
                    status.text = "pending-reboot"
        for cluster in root.iter(f"{ns}DBCluster"):
            name = cluster.findtext(f"{ns}DBClusterParameterGroup") or ""
            for member in cluster.iter(f"{ns}DBClusterMember"):
                identifier = member.findtext(f"{ns}DBInstanceIdentifier") or ""
                status = member.find(f"{ns}DBClusterParameterGroupStatus")
                if status is not None and (region, "cluster", identifier, name) in self.pending:
                    status.text = "pending-reboot"
        return ET.tostring(root, encoding="utf-8")

    def _users(self, region: str, group: _Group) -> list[tuple[str, str]]:
        """(kind, instance identifier) of every instance or cluster member using the group."""
        ns = f"{{{NAMESPACE}}}"
        users: list[tuple[str, str]] = []
        if group.cluster:
            root = self.internal(region, "DescribeDBClusters", {})
            for cluster in root.iter(f"{ns}DBCluster"):
                if cluster.findtext(f"{ns}DBClusterParameterGroup") == group.name:
                    users += [
                        ("cluster", member.findtext(f"{ns}DBInstanceIdentifier") or "")
                        for member in cluster.iter(f"{ns}DBClusterMember")
                    ]
        else:
            root = self.internal(region, "DescribeDBInstances", {})
            for instance in root.iter(f"{ns}DBInstance"):
                names = {
                    g.findtext(f"{ns}DBParameterGroupName")
                    for g in instance.iter(f"{ns}DBParameterGroup")
                }
                if group.name in names:
                    users.append(("db", instance.findtext(f"{ns}DBInstanceIdentifier") or ""))
        return users

    def _clear_pending(self, region: str, identifiers: Iterable[str]) -> None:
        wanted = set(identifiers)
        self.pending = {key for key in self.pending if key[0] != region or key[2] not in wanted}

    # -- groups --------------------------------------------------------------------------------
    def _find(self, region: str, cluster: bool, name: str) -> _Group | None:
        if name.startswith("default."):
            family = FAMILIES.get(name.removeprefix("default."))
            if family is not None and (not cluster or family.cluster_groups):
                return _default_group(family, cluster)
        return self.groups.get((region, cluster, name))

    def _get(self, region: str, cluster: bool, name: str) -> _Group:
        group = self._find(region, cluster, name)
        if group is None:
            raise _group_not_found(name, cluster)
        return group

    def _all_groups(self, region: str, cluster: bool) -> list[_Group]:
        defaults = [
            _default_group(family, cluster)
            for family in FAMILIES.values()
            if not cluster or family.cluster_groups
        ]
        created = [g for (r, c, _), g in self.groups.items() if r == region and c == cluster]
        return sorted(defaults + created, key=lambda group: group.name)

    def _rows(self, group: _Group | None, family: Family) -> list[dict[str, Any]]:
        rows = []
        for parameter in family_catalogue(family.name).values():
            row = parameter.row(family)
            if group is not None and parameter.name in group.values:
                row |= {
                    "ParameterValue": group.values[parameter.name],
                    "Source": "user",
                    "ApplyMethod": group.methods.get(parameter.name, "pending-reboot"),
                }
            rows.append(row)
        return rows

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBParameters.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusterParameters.html
    def _describe_parameters(
        self, region: str, form: Mapping[str, str], environ: Environ
    ) -> tuple[int, bytes]:
        action = form["Action"]
        cluster = "Cluster" in action
        key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
        group = self._get(region, cluster, _required(form, key))
        rows = self._rows(group, FAMILIES[group.family])
        source = form.get("Source")
        if source is not None:
            if source not in SOURCES:  # UNVERIFIED wording
                raise RdsError(
                    "InvalidParameterValue",
                    f"Invalid value {source} for Source. Valid values: {', '.join(SOURCES)}",
                )
            rows = [row for row in rows if row["Source"] == source]
        page, marker = _paginate(rows, form, f"{action}:{group.name}:{source or ''}")
        return 200, render(action, {"Parameters": page, "Marker": marker or None}, _rid(environ))

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBParameterGroups.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusterParameterGroups.html
    def _describe_groups(
        self, region: str, form: Mapping[str, str], environ: Environ
    ) -> tuple[int, bytes]:
        action = form["Action"]
        cluster = "Cluster" in action
        key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
        if form.get(key):
            groups = [self._get(region, cluster, form[key])]
        else:
            groups = self._all_groups(region, cluster)
        page, marker = _paginate([g.describe(region) for g in groups], form, action)
        result_key = "DBClusterParameterGroups" if cluster else "DBParameterGroups"
        return 200, render(action, {result_key: page, "Marker": marker or None}, _rid(environ))

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeEngineDefaultParameters.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeEngineDefaultClusterParameters.html
    def _engine_defaults(
        self, region: str, form: Mapping[str, str], environ: Environ
    ) -> tuple[int, bytes]:
        action = form["Action"]
        family = self._family(_required(form, "DBParameterGroupFamily"), "Cluster" in action)
        rows = self._rows(None, family)
        page, marker = _paginate(rows, form, f"{action}:{family.name}")
        defaults = {
            "DBParameterGroupFamily": family.name,
            "Parameters": page,
            "Marker": marker or None,
        }
        return 200, render(action, {"EngineDefaults": defaults}, _rid(environ))

    @staticmethod
    def _family(name: str, cluster: bool) -> Family:
        family = FAMILIES.get(name)
        if family is None or (cluster and not family.cluster_groups):
            # terraform-aws-modules/terraform-aws-rds#173: the real RDS answer.
            raise RdsError(
                "InvalidParameterValue",
                f"ParameterGroupFamily {name} is not a valid parameter group family",
            )
        return family

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBParameterGroup.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBClusterParameterGroup.html
    def _modify(self, region: str, form: Mapping[str, str], environ: Environ) -> tuple[int, bytes]:
        action = form["Action"]
        cluster = "Cluster" in action
        key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
        group = self._get(region, cluster, _required(form, key))
        if group.name.startswith("default."):
            # ankane/pghero#66; API_ModifyDBParameterGroup: default groups can't be modified.
            raise RdsError("InvalidParameterValue", "Cannot modify a default parameter group.")
        changes = _parameters_in(form)
        if not changes:
            raise RdsError(
                "InvalidParameterValue",
                "The parameter Parameters must be provided and must not be blank.",
            )
        if len(changes) > MAX_MODIFY:
            # hashicorp/terraform-provider-aws#1298, crossplane-contrib/provider-aws#1681.
            raise RdsError(
                "InvalidParameterCombination",
                f"Cannot modify more than {MAX_MODIFY} parameters in a single request",
            )
        catalogue = family_catalogue(group.family)
        accepted: list[tuple[str, str, str, CatalogParameter]] = []
        for change in changes:
            name = change.get("ParameterName", "")
            parameter = catalogue.get(name)
            if parameter is None:  # hashicorp/terraform#11820
                raise RdsError(
                    "InvalidParameterValue", f"Could not find parameter with name: {name}"
                )
            if not parameter.modifiable:  # UNVERIFIED wording
                raise RdsError("InvalidParameterValue", f"The parameter {name} cannot be modified.")
            method = change.get("ApplyMethod") or (
                "pending-reboot" if parameter.apply_type == S else "immediate"
            )
            if method not in APPLY_METHODS:  # UNVERIFIED wording
                raise RdsError("InvalidParameterValue", f"Invalid apply method: {method}")
            if method == "immediate" and parameter.apply_type == S:
                # API_Parameter: "immediate" is for dynamic parameters only; wording from
                # terraform-aws-modules/terraform-aws-rds#349.
                raise RdsError(
                    "InvalidParameterCombination",
                    "cannot use immediate apply method for static parameter",
                )
            value = change.get("ParameterValue")
            if value is None or not _value_allowed(parameter, value):  # UNVERIFIED wording
                raise RdsError(
                    "InvalidParameterValue",
                    f"Invalid parameter value: {value} for: {name} allowed values are: "
                    f"{parameter.allowed}",
                )
            accepted.append((name, value, method, parameter))
        # All or nothing, as RDS validates the whole request before changing anything.
        needs_reboot = any(
            method == "pending-reboot" or parameter.apply_type == S
            for _, _, method, parameter in accepted
        )
        for name, value, method, _ in accepted:
            group.values[name] = value
            group.methods[name] = method
        if needs_reboot:
            for kind, identifier in self._users(region, group):
                self.pending.add((region, kind, identifier, group.name))
        result_key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
        return 200, render(action, {result_key: group.name}, _rid(environ))

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ResetDBParameterGroup.html
    def _reset(self, region: str, form: Mapping[str, str], environ: Environ) -> tuple[int, bytes]:
        action = form["Action"]
        cluster = "Cluster" in action
        key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
        group = self._get(region, cluster, _required(form, key))
        if group.name.startswith("default."):
            raise RdsError("InvalidParameterValue", "Cannot modify a default parameter group.")
        names = [change.get("ParameterName", "") for change in _parameters_in(form)]
        if form.get("ResetAllParameters", "").lower() == "true":
            names = list(group.values)
        catalogue = family_catalogue(group.family)
        for name in names:
            if name not in catalogue:
                raise RdsError(
                    "InvalidParameterValue", f"Could not find parameter with name: {name}"
                )
        static = any(catalogue[name].apply_type == S for name in names if name in group.values)
        for name in names:
            group.values.pop(name, None)
            group.methods.pop(name, None)
        if static:
            for kind, identifier in self._users(region, group):
                self.pending.add((region, kind, identifier, group.name))
        result_key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
        return 200, render(action, {result_key: group.name}, _rid(environ))

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBClusterParameterGroup.html
    def _create(self, region: str, form: Mapping[str, str], environ: Environ) -> tuple[int, bytes]:
        action = form["Action"]
        cluster = "Cluster" in action
        key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
        name = _required(form, key)
        family_name = form.get("DBParameterGroupFamily", "")
        if not family_name:  # terraform-aws-modules/terraform-aws-rds#210 (real wording)
            raise RdsError(
                "InvalidParameterValue",
                "The parameter ParameterGroupFamily must be provided and must not be empty.",
            )
        family = self._family(family_name, cluster)
        description = _required(form, "Description")
        group = self._add(region, _Group(name, family.name, description, cluster), form)
        result_key = "DBClusterParameterGroup" if cluster else "DBParameterGroup"
        return 200, render(action, {result_key: group.describe(region)}, _rid(environ))

    def _add(self, region: str, group: _Group, form: Mapping[str, str]) -> _Group:
        if self._find(region, group.cluster, group.name) is not None:  # UNVERIFIED wording
            raise RdsError(
                "DBParameterGroupAlreadyExists", f"Parameter group {group.name} already exists"
            )
        # Mirror into moto so that its CreateDBInstance / CreateDBCluster find the group.
        prefix = "DBClusterParameterGroupName" if group.cluster else "DBParameterGroupName"
        tags = {k: v for k, v in form.items() if k.startswith("Tags.")}
        self.internal(
            region,
            "CreateDBClusterParameterGroup" if group.cluster else "CreateDBParameterGroup",
            {
                prefix: group.name,
                "DBParameterGroupFamily": group.family,
                "Description": group.description,
                **tags,
            },
        )
        self.groups[(region, group.cluster, group.name)] = group
        return group

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBParameterGroup.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterParameterGroup.html
    def _copy(self, region: str, form: Mapping[str, str], environ: Environ) -> tuple[int, bytes]:
        action = form["Action"]
        cluster = "Cluster" in action
        infix = "DBCluster" if cluster else "DB"
        source_ref = _required(form, f"Source{infix}ParameterGroupIdentifier")
        source = self._get(region, cluster, source_ref.rsplit(":", 1)[-1])  # a name or an ARN
        target = _Group(
            _required(form, f"Target{infix}ParameterGroupIdentifier"),
            source.family,
            _required(form, f"Target{infix}ParameterGroupDescription"),
            cluster,
            dict(source.values),
            dict(source.methods),
        )
        self._add(region, target, form)
        result_key = "DBClusterParameterGroup" if cluster else "DBParameterGroup"
        return 200, render(action, {result_key: target.describe(region)}, _rid(environ))

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBParameterGroup.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBClusterParameterGroup.html
    def _delete(self, region: str, form: Mapping[str, str], environ: Environ) -> tuple[int, bytes]:
        action = form["Action"]
        cluster = "Cluster" in action
        key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
        group = self._get(region, cluster, _required(form, key))
        if group.name.startswith("default."):  # UNVERIFIED wording
            raise RdsError(
                "InvalidDBParameterGroupState",
                f"Default parameter group {group.name} cannot be deleted.",
            )
        if self._users(region, group):  # UNVERIFIED wording
            raise RdsError(
                "InvalidDBParameterGroupState",
                f"One or more database instances are still members of this parameter group "
                f"{group.name}, so the group cannot be deleted",
            )
        self.internal(region, action, {key: group.name})
        del self.groups[(region, cluster, group.name)]
        self.pending = {k for k in self.pending if k[0] != region or k[3] != group.name}
        return 200, render(action, None, _rid(environ))

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RebootDBCluster.html
    def _reboot_cluster(
        self, region: str, form: Mapping[str, str], environ: Environ
    ) -> tuple[int, bytes]:
        """moto has no RebootDBCluster: answer with moto's own view of the cluster."""
        identifier = _required(form, "DBClusterIdentifier")
        root = self.internal(region, "DescribeDBClusters", {"DBClusterIdentifier": identifier})
        ns = f"{{{NAMESPACE}}}"
        cluster = next(root.iter(f"{ns}DBCluster"))
        members = [
            m.findtext(f"{ns}DBInstanceIdentifier") or ""
            for m in cluster.iter(f"{ns}DBClusterMember")
        ]
        self._clear_pending(region, members)
        response = ET.Element(f"{ns}RebootDBClusterResponse")
        ET.SubElement(response, f"{ns}RebootDBClusterResult").append(cluster)
        metadata = ET.SubElement(response, f"{ns}ResponseMetadata")
        ET.SubElement(metadata, f"{ns}RequestId").text = _rid(environ)
        return 200, ET.tostring(response, encoding="utf-8")

    def reset(self) -> None:
        """Forget every group and pending reboot, and reset moto's backends."""
        with self.lock:
            self.groups.clear()
            self.pending.clear()
            self.calls.clear()
            self.last_params.clear()
        from werkzeug.test import EnvironBuilder

        builder = EnvironBuilder(method="POST", path="/moto-api/reset")
        try:
            self._call_moto(builder.get_environ(), b"")
        finally:
            builder.close()


_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Error"}


_REQUEST_ID = "cloudtimeouts.request_id"


def _rid(environ: Environ) -> str:
    """The request id of this request: the same in the body and the x-amzn-RequestId header."""
    return str(environ.get(_REQUEST_ID) or uuid.uuid4())


def _service(environ: Environ) -> str:
    """The signing service in the Authorization header (credential scope), e.g. `rds`."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = re.search(r"Credential=[^/]+/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/", auth)
    return match[1] if match else ""


def _region(environ: Environ) -> str:
    match = _REGION_IN_AUTH.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match[1] if match else DEFAULT_REGION


def _family_for(engine: str, version: str) -> str | None:
    """The parameter group family an engine version belongs to, e.g. postgres 16.3 -> postgres16."""
    parts = version.split(".")
    if not version or not parts[0].isdigit():
        return None
    if engine in ("postgres", "aurora-postgresql"):
        return f"{engine}{parts[0]}"
    if engine in ("mysql", "mariadb", "aurora-mysql") and len(parts) > 1:
        return f"{engine}{parts[0]}.{parts[1]}"
    return None


def _engine_of(family: str) -> str:
    for prefix, engine in _ENGINE_OF_FAMILY_PREFIX:
        if family.startswith(prefix):
            return engine
    raise ValueError(family)


# ---------------------------------------------------------------------------------------------
# The public API
# ---------------------------------------------------------------------------------------------
class RealisticRds:
    """The layer on http://127.0.0.1:PORT (port 0 = a free one), with seed helpers for the demo.

    `calls` counts requests per Action and `last_params` keeps the last form of each, so tests
    can assert MaxRecords / Marker without hooking the client.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, region: str = "eu-west-1") -> None:
        self._host, self._port, self.region = host, port, region
        self._layer: _Layer | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> RealisticRds:
        """Imports moto, binds the port and serves on a daemon thread (about half a second)."""
        if self._server is not None:
            return self
        from werkzeug.serving import WSGIRequestHandler, make_server

        class _Quiet(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self._layer = _Layer()
        self._server = make_server(
            self._host, self._port, self._layer, threaded=True, request_handler=_Quiet
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="realistic-rds", daemon=True
        )
        self._thread.start()
        # moto loads its RDS backend on first use (~0.8 s): pay that now, not in a timed call.
        self._layer.internal(self.region, "DescribeDBInstances", {})
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> RealisticRds:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("RealisticRds is not started")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def _state(self) -> _Layer:
        if self._layer is None:
            raise RuntimeError("RealisticRds is not started")
        return self._layer

    # -- observation ---------------------------------------------------------------------------
    @property
    def calls(self) -> Counter[str]:
        """Requests per Action since start (or the last reset)."""
        return self._state.calls

    @property
    def last_params(self) -> dict[str, dict[str, str]]:
        """The last request's form parameters, per Action."""
        return self._state.last_params

    def reset_counters(self) -> None:
        with self._state.lock:
            self._state.calls.clear()
            self._state.last_params.clear()

    def reset(self) -> None:
        """Back to a fresh account: no custom groups, instances or clusters; counters zeroed."""
        self._state.reset()
        self._state.internal(self.region, "DescribeDBInstances", {})
        self.reset_counters()

    # -- seeding (through boto3 against this server, as a user would) ----------------------------
    def client(self, region: str | None = None) -> Any:
        """A boto3 RDS client for this server with throwaway credentials."""
        import boto3

        return boto3.client(
            "rds",
            region_name=region or self.region,
            endpoint_url=self.url,
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )

    def create_group(
        self,
        name: str,
        family: str,
        values: Mapping[str, str] | None = None,
        *,
        cluster: bool = False,
        description: str | None = None,
        region: str | None = None,
    ) -> None:
        """Creates a (cluster) parameter group and sets `values` in batches of 20.

        Static parameters are set `pending-reboot` and dynamic ones `immediate`, as a careful
        user would.
        """
        rds = self.client(region)
        text = description or f"{family} parameters"
        if cluster:
            rds.create_db_cluster_parameter_group(
                DBClusterParameterGroupName=name, DBParameterGroupFamily=family, Description=text
            )
        else:
            rds.create_db_parameter_group(
                DBParameterGroupName=name, DBParameterGroupFamily=family, Description=text
            )
        catalogue = family_catalogue(family)
        batch = [
            {
                "ParameterName": key,
                "ParameterValue": value,
                "ApplyMethod": "pending-reboot"
                if key in catalogue and catalogue[key].apply_type == S
                else "immediate",
            }
            for key, value in (values or {}).items()
        ]
        for start in range(0, len(batch), MAX_MODIFY):
            chunk = batch[start : start + MAX_MODIFY]
            if cluster:
                rds.modify_db_cluster_parameter_group(
                    DBClusterParameterGroupName=name, Parameters=chunk
                )
            else:
                rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=chunk)

    def _family_of(self, region: str, name: str, cluster: bool) -> str:
        with self._state.lock:
            return self._state._get(region, cluster, name).family

    def create_instance(
        self,
        identifier: str,
        engine: str,
        group: str | None = None,
        *,
        engine_version: str | None = None,
        instance_class: str = "db.t4g.medium",
        cluster: str | None = None,
        region: str | None = None,
    ) -> None:
        """A DB instance (or an Aurora cluster member) using `group` (None: the default group)."""
        region = region or self.region
        family = self._family_of(region, group, False) if group else None
        if engine_version is None:
            candidates = [f for f in FAMILIES.values() if _engine_of(f.name) == engine]
            chosen = FAMILIES[family] if family else candidates[-1]
            engine_version = chosen.default_engine_version
        arguments: dict[str, Any] = {
            "DBInstanceIdentifier": identifier,
            "DBInstanceClass": instance_class,
            "Engine": engine,
            "EngineVersion": engine_version,
        }
        if group:
            arguments["DBParameterGroupName"] = group
        if cluster:
            arguments["DBClusterIdentifier"] = cluster
        else:
            arguments |= {
                "AllocatedStorage": 20,
                "MasterUsername": "app",
                "MasterUserPassword": "sandbox-only-1",
            }
        self.client(region).create_db_instance(**arguments)

    def create_cluster(
        self,
        identifier: str,
        engine: str,
        cluster_group: str,
        *,
        members: int = 1,
        instance_group: str | None = None,
        region: str | None = None,
    ) -> None:
        """An Aurora (or Multi-AZ) cluster using `cluster_group`, with `members` instances."""
        region = region or self.region
        family = FAMILIES[self._family_of(region, cluster_group, True)]
        self.client(region).create_db_cluster(
            DBClusterIdentifier=identifier,
            Engine=engine,
            EngineVersion=family.default_engine_version,
            DBClusterParameterGroupName=cluster_group,
            MasterUsername="app",
            MasterUserPassword="sandbox-only-1",
        )
        for index in range(members):
            self.create_instance(
                f"{identifier}-{index + 1}",
                engine,
                instance_group,
                engine_version=family.default_engine_version,
                instance_class="db.r6g.large",
                cluster=identifier,
                region=region,
            )

    def pending_reboot(self, region: str | None = None) -> set[str]:
        """Identifiers of instances / cluster members waiting for a reboot to apply a change."""
        region = region or self.region
        with self._state.lock:
            return {key[2] for key in self._state.pending if key[0] == region}
