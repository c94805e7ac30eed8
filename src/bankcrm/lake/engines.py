"""The analytics engine: an ibis connection to DuckDB (default) or Spark, and its inputs.

Features are ibis expressions; this module gives them a backend and the tables they read,
with the same column names and types on both engines:

- `connect_analytics(settings)` picks the engine from the settings;
- `read_transactions(con, lake_dir)` reads the lake's published transaction Parquet
  (`transactions/month=YYYY-MM/*.parquet`, Hive-style, staging under `_staging` ignored);
- `table_from_arrow(con, name, table)` registers an Arrow table (the CRM tables the
  features need, read by `bankcrm.analytics.repository`);
- `to_arrow(con, expr)` runs an expression and returns Arrow typed by the expression's
  schema (on Spark straight from the JVM as Arrow, without pandas).

Types: amounts stay decimal(18,2) on both engines (both read the Parquet decimal as is and
sum it exactly); expressions cast to float64 where they need floating point. Dates are
dates, timestamps are timestamps without time zone (UTC wall time), `month` is a string.

Spark is configured to behave like DuckDB where the SQL dialects let us choose: session
time zone UTC (dates never shift), ANSI mode on (invalid casts and integer overflow raise,
as on DuckDB, instead of silently giving NULL or wrapping), Hive partition values kept as
strings, float literals written as doubles (ibis writes `365.0`, a decimal to Spark SQL).
Differences no setting removes (division by zero, rounding floats, counts with a NULL
condition, means of decimals) are avoided by the expressions themselves: see
docs/scale.md, "Writing portable expressions".
"""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot as sg
from ibis.backends import BaseBackend

from bankcrm.config import Settings
from bankcrm.kit.errors import UserError
from bankcrm.lake.store import TRANSACTION_SCHEMA, TRANSACTIONS

log = logging.getLogger(__name__)

PARTITION_COLUMN = "month"
# The lake's columns as the features see them, on every engine: the Parquet schema plus
# the Hive partition column.
TRANSACTIONS_IBIS_SCHEMA = ibis.schema(
    {
        **{
            name: type_.copy(nullable=True)
            for name, type_ in ibis.Schema.from_pyarrow(TRANSACTION_SCHEMA).items()
        },
        PARTITION_COLUMN: dt.string,
    }
)

# Settings that make Spark SQL agree with DuckDB on the same ibis expressions; they are
# session settings, applied on every master (a cluster's spark-defaults.conf cannot undo them).
SPARK_SEMANTICS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.debug.maxToStringFields": "1000",  # the feature plans are wide
    "spark.log.structuredLogging.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
# Settings for a Spark inside this process (master local[...]): bound to the loopback,
# no web UI (and, in connect_spark, a quiet UTC JVM).
SPARK_LOCAL = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
}
# Defaults for a local Spark that a spark-defaults.conf may change. Spark's own 1 GB heap
# runs out of memory on the features of 100,000 customers; 4 GB is enough for them.
SPARK_LOCAL_DEFAULTS = {
    "spark.driver.memory": "4g",
    "spark.sql.shuffle.partitions": "8",
}
# Spark logs through log4j2 to the console; without a configuration it prints its default
# profile banner, INFO start-up lines and, for every failed query, a JSON stack trace that
# the Python exception repeats. This one keeps warnings and errors, on one line each.
SPARK_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex{short}
logger.nativecode.name = org.apache.hadoop.util.NativeCodeLoader
logger.nativecode.level = error
logger.querycontext.name = SQLQueryContextLogger
logger.querycontext.level = off
"""


def connect_analytics(settings: Settings) -> BaseBackend:
    """The analytics engine the settings name, connected."""
    if settings.analytics_engine == "spark":
        return connect_spark(settings.spark_master)
    return connect_duckdb(settings.duckdb_memory_limit)


def connect_duckdb(memory_limit: str = "6GB", threads: int | None = None) -> BaseBackend:
    """An in-memory DuckDB limited to `memory_limit` (it spills beyond) and `threads`."""
    _duckdb_arg_max_as_aggregate()
    threads = threads or os.cpu_count() or 1
    return ibis.duckdb.connect(memory_limit=memory_limit, threads=threads)


def _duckdb_arg_max_as_aggregate() -> None:
    """Makes ibis write `argmax`/`argmin` for DuckDB as its `arg_max_null`/`arg_min_null`
    aggregates, once per process.

    ibis 12 writes them as `FIRST(arg ORDER BY key DESC)`, an ordered aggregate that
    buffers and sorts every group's rows: on the quarterly ledger of a million customers
    that is most of the run (26 s instead of a few for one quarter). The `_null` variants
    return the argument of the row with the extreme key even when it is NULL, as FIRST
    does (and as Spark's `max_by`); rows with a NULL key are skipped by both.
    """
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

    if getattr(DuckDBCompiler.visit_ArgMax, "bankcrm_aggregate", False):
        return

    def arg_extreme(name: str) -> Any:
        def visit(self: Any, op: Any, *, arg: Any, key: Any, where: Any) -> Any:
            call = sge.Anonymous(this=name, expressions=[arg, key])
            return (
                call if where is None else sge.Filter(this=call, expression=sge.Where(this=where))
            )

        visit.bankcrm_aggregate = True  # type: ignore[attr-defined]
        return visit

    DuckDBCompiler.visit_ArgMax = arg_extreme("arg_max_null")
    DuckDBCompiler.visit_ArgMin = arg_extreme("arg_min_null")


def connect_spark(
    master: str = "local[2]",
    app_name: str = "bankcrm",
    conf: Mapping[str, str] | None = None,
) -> BaseBackend:
    """A Spark session on `master` (local[N], spark://host:7077, yarn, k8s://...), in ibis.

    With a local master Spark runs inside this process's JVM, reachable only on
    127.0.0.1, with `SPARK_LOCAL_DEFAULTS` unless the spark-defaults.conf sets them; it owns
    `spark.driver.extraJavaOptions` (add your own in `spark.driver.defaultJavaOptions`).
    For a cluster, everything but the SQL semantics (`SPARK_SEMANTICS`) comes from the
    spark-defaults.conf in `$SPARK_CONF_DIR`. `conf` overrides all of these.
    Re-uses the process's active session if there is one (Spark allows one per process).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UserError(
            "The Spark engine needs PySpark: install bankcrm[spark] "
            "(pip install 'bankcrm[spark]'), or set BANKCRM_ANALYTICS_ENGINE=duckdb."
        ) from exc
    java = _java()
    local = master == "local" or master.startswith("local[")
    settings = dict(SPARK_SEMANTICS)
    if local:
        configured = spark_defaults()
        settings.update(
            {k: v for k, v in SPARK_LOCAL_DEFAULTS.items() if k not in configured} | SPARK_LOCAL
        )
        # The driver JVM is started by this process: quiet logs, UTC, Python workers (if a
        # query needs any) on this interpreter. Environment first, so Spark sees it at launch.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        settings["spark.driver.extraJavaOptions"] = (
            f"-Duser.timezone=UTC -Dlog4j2.configurationFile={_log4j2_file().as_uri()}"
        )
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    started = time.perf_counter()
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: Java missing or too old, no memory...
        raise UserError(
            f"Spark did not start on master {master!r} with Java {java}: {exc}. "
            "Spark 4 needs Java 17 or 21 (set JAVA_HOME)."
        ) from exc
    session.sparkContext.setLogLevel("WARN")
    for key, value in settings.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)  # also when an existing session was re-used
    log.info("Spark session on %s started in %.1f s", master, time.perf_counter() - started)
    _float_literals_as_double()
    return ibis.pyspark.connect(session)


def _float_literals_as_double() -> None:
    """Makes ibis write float literals for Spark as doubles, once per process.

    ibis 12 writes `ibis.literal(365.0)` as `365.0`, which Spark SQL reads as a
    DECIMAL(4,1): `days / 365.0` with integer days then becomes a decimal rounded to six
    places (238 / 365.0 = 0.652055, not 0.6520547945...), where DuckDB divides in floating
    point as the ibis types say. `CAST(365.0 AS DOUBLE)` is what the expression means.
    """
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    original = PySparkCompiler.visit_NonNullLiteral
    if getattr(original, "bankcrm_doubles", False):
        return

    def visit_non_null_literal(self: Any, op: Any, *, value: Any, dtype: dt.DataType) -> Any:
        result = original(self, op, value=value, dtype=dtype)
        if dtype.is_floating() and math.isfinite(value):
            return self.cast(result, dtype)
        return result

    visit_non_null_literal.bankcrm_doubles = True  # type: ignore[attr-defined]
    PySparkCompiler.visit_NonNullLiteral = visit_non_null_literal
    _spark_bit_or()


def _spark_bit_or() -> None:
    """Gives ibis's Spark compiler the `bit_or` aggregate (Spark SQL has it since 3.0; ibis
    12 compiles it for Databricks, which speaks the same SQL, but not for Spark)."""
    from ibis.backends.sql.compilers.databricks import DatabricksCompiler
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    if "visit_BitOr" not in PySparkCompiler.__dict__:
        PySparkCompiler.visit_BitOr = DatabricksCompiler.visit_BitOr


_PROPERTY_KEY = re.compile(r"^\s*([^\s=:#!][^\s=:]*)")  # Java properties: key, then = : or blank


def spark_defaults() -> set[str]:
    """The keys set in the spark-defaults.conf that Spark will read at start-up, if any."""
    folder = os.environ.get("SPARK_CONF_DIR")
    if folder is None:
        home = os.environ.get("SPARK_HOME")
        if home is None:
            import pyspark  # its wheel is SPARK_HOME when none is set

            home = str(Path(pyspark.__file__).parent)
        folder = str(Path(home) / "conf")
    path = Path(folder) / "spark-defaults.conf"
    if not path.is_file():
        return set()
    keys = (_PROPERTY_KEY.match(line) for line in path.read_text().splitlines())
    return {match.group(1) for match in keys if match}


def _java() -> str:
    """The java executable Spark will launch; a UserError when there is none."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if java.is_file():
            return str(java)
        raise UserError(f"JAVA_HOME={home} has no bin/java: Spark needs Java 17 or 21.")
    found = shutil.which("java")
    if found is None:
        raise UserError(
            "The Spark engine needs Java 17 or 21: install it (e.g. openjdk-17-jre-headless) "
            "or set JAVA_HOME, or set BANKCRM_ANALYTICS_ENGINE=duckdb."
        )
    return found


def _log4j2_file() -> Path:
    """SPARK_LOG4J2 written once to the temporary folder (atomically: workers race)."""
    path = Path(tempfile.gettempdir()) / "bankcrm-spark-log4j2.properties"
    if not path.is_file() or path.read_text() != SPARK_LOG4J2:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            out.write(SPARK_LOG4J2)
        os.replace(temp, path)
    return path


def is_spark(con: BaseBackend) -> bool:
    return str(con.name) == "pyspark"


def _session(con: BaseBackend) -> Any:
    return con._session  # ibis keeps the SparkSession here


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/+")  # two letters at least: not C:/


def lake_uri(lake_dir: str | Path) -> str:
    """The lake's location as a string: a local path made absolute, or a URI kept as is.

    A URI held in a `Path` (as `Settings.lake_dir` is) has lost a slash
    (`s3a:/bucket/lake`); it is put back (`s3a://bucket/lake`).
    """
    text = str(lake_dir)
    if match := _SCHEME.match(text):
        if match.group(1).lower() == "file":
            return str(Path(text[match.end() - 1 :]).absolute())
        return f"{match.group(1)}://{text[match.end() :]}"
    return str(Path(text).absolute())


def read_transactions(con: BaseBackend, lake_dir: str | Path) -> ir.Table:
    """The lake's published transactions, columns as in `TRANSACTIONS_IBIS_SCHEMA`.

    DuckDB reads the local glob `transactions/month=*/[!_.]*.parquet`; Spark reads the
    `transactions` folder (local, or on any file system its Hadoop libraries know: hdfs://,
    s3a://, abfss://). Both skip files and folders whose name starts with `_` or `.`
    (staging, temporary files) and read `month` from the folder name as a string.
    An empty local lake gives an empty table.
    """
    root = lake_uri(lake_dir)
    folder = f"{root.rstrip('/')}/{TRANSACTIONS}"
    local = _SCHEME.match(root) is None
    if local and not any(Path(folder).glob("month=*/[!_.]*.parquet")):
        empty = TRANSACTIONS_IBIS_SCHEMA.to_pyarrow().empty_table()
        return table_from_arrow(con, ibis.util.gen_name("transactions"), empty)
    if is_spark(con):
        table = con.read_parquet(folder, pathGlobFilter="*.parquet")
    else:
        if not local:
            raise UserError(
                f"DuckDB reads a local (or mounted) lake, not {root}: "
                "set BANKCRM_ANALYTICS_ENGINE=spark for a lake on a distributed file system."
            )
        table = con.read_parquet(
            f"{folder}/month=*/[!_.]*.parquet",
            hive_partitioning=True,
            hive_types_autocast=False,  # month stays text, as on Spark
        )
    return _conform(table, TRANSACTIONS_IBIS_SCHEMA)


def _conform(table: ir.Table, schema: ibis.Schema) -> ir.Table:
    """`table` with exactly `schema`'s columns, in order and of its types."""
    return table.select(
        [
            table[name] if table[name].type() == dtype else table[name].cast(dtype).name(name)
            for name, dtype in schema.items()
        ]
    )


def table_from_arrow(con: BaseBackend, name: str, table: pa.Table) -> ir.Table:
    """`table` registered under `name` (replacing any table of that name), in ibis.

    DuckDB copies it into a table; Spark makes a temporary view of a DataFrame built from
    Arrow (no pandas), checkpointed on the executors. Dictionary columns are decoded, large
    strings made plain, time-zone aware timestamps become UTC wall time without time zone,
    all in microseconds.
    """
    table = _portable_arrow(table)
    if is_spark(con):
        session = _session(con)
        frame = session.createDataFrame(table, schema=_spark_schema(table.schema))
        # Shipped to the executors once and kept there: otherwise every scan sends the rows
        # again inside its tasks (the features scan the holdings four times; checkpointed,
        # they ran in 60% of the time on 100,000 customers). An executor lost during the
        # run loses its part: the run fails and is repeated.
        frame.localCheckpoint(eager=True).createOrReplaceTempView(name)
        return con.table(name)
    # DuckDB, on its own connection: ibis 12's create_table(overwrite=True), drop_table and
    # memtable clean-up emit a nameless DROP with sqlglot >= 30.18 (ibis issue #12101).
    raw = con.con  # the duckdb connection
    source = ibis.util.gen_name("arrow")
    raw.register(source, table)
    try:
        target = sg.to_identifier(name, quoted=True).sql("duckdb")
        raw.execute(f'CREATE OR REPLACE TABLE {target} AS SELECT * FROM "{source}"')
    finally:
        raw.unregister(source)
    return con.table(name)


def _portable_arrow(table: pa.Table) -> pa.Table:
    fields = []
    for field in table.schema:
        type_ = field.type
        if pa.types.is_dictionary(type_):
            type_ = type_.value_type
        if pa.types.is_large_string(type_):
            type_ = pa.string()
        elif pa.types.is_large_binary(type_):
            type_ = pa.binary()
        elif pa.types.is_timestamp(type_):
            type_ = pa.timestamp("us")  # from a zone: the UTC instant's wall time
        fields.append(field.with_type(type_))
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)


def _spark_schema(schema: pa.Schema) -> Any:
    """Spark types for Arrow ones, naive timestamps as TIMESTAMP_NTZ (no zone applied)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema, prefer_timestamp_ntz=True)


def to_arrow(con: BaseBackend, expr: ir.Table) -> pa.Table:
    """Runs `expr` and returns it as Arrow with the expression's schema, on either engine.

    On Spark this collects Arrow batches from the JVM (`DataFrame.toArrow`), several times
    faster than ibis's `to_pyarrow`, which goes through pandas.
    """
    schema = expr.schema().to_pyarrow()
    if not is_spark(con):
        return con.to_pyarrow(expr).cast(schema)
    con._run_pre_execute_hooks(expr)  # registers memtables
    frame = _session(con).sql(con.compile(expr))
    result: pa.Table = frame.toArrow()
    return _cast_arrow(result.rename_columns(schema.names), schema)


def _cast_arrow(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` cast to `schema`; decimals with more places are rounded (half away from zero).

    Spark types some results wider than ibis does (the mean of a decimal(18,2) is a
    decimal(22,6) on Spark, a decimal(18,2) in ibis); ibis's own Spark path rounds those.
    """
    columns = []
    for column, field in zip(table.columns, schema, strict=True):
        if (
            pa.types.is_decimal(column.type)
            and pa.types.is_decimal(field.type)
            and column.type.scale > field.type.scale
        ):
            column = pc.round(column, field.type.scale, round_mode="half_towards_infinity")
        columns.append(column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=schema)
