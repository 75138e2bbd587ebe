"""A throwaway PostgreSQL primary with a streaming replica, built from the server binaries.

Tests of decision 1 need a real replica whose lag they control: `initdb` a primary
(wal_level=replica, trust auth), clone it with `pg_basebackup -R`, start both with `pg_ctl`, and
pause WAL replay on the replica (`pg_wal_replay_pause()`) to make lag deterministic. Everything
lives in one temporary directory, on free ports, and is removed by `stop()`.

The binaries come from `PG_BINDIR` or `pg_config --bindir`. PostgreSQL refuses to run as root,
so under root the servers run as the `postgres` user, which then owns the directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"
READY_TIMEOUT_SECONDS = 60


def find_bindir() -> Path | None:
    """The directory of initdb, pg_ctl and pg_basebackup, or None when PostgreSQL is absent."""
    configured = os.environ.get("PG_BINDIR")
    if configured:
        return Path(configured)
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
    bindir = Path(result.stdout.strip())
    return bindir if (bindir / "initdb").exists() else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One PostgreSQL server of the pair."""

    name: str
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"


class ReplicatedPostgres:
    """A primary and its streaming replica in a temporary directory."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="pgrepl-"))
        self.as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self.primary = Server("primary", self.root / "primary", free_port())
        self.replica = Server("replica", self.root / "replica", free_port())

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Create, clone and start both servers; wait until the replica streams."""
        if self.as_root:
            shutil.chown(self.root, user=SERVER_USER, group=SERVER_USER)
        primary, replica = self.primary, self.replica
        self._run("initdb", "-D", str(primary.data_dir), "-U", "postgres", "--auth=trust")
        self._configure(
            primary, wal_level="replica", max_wal_senders="5", hot_standby="on", fsync="off"
        )
        self.start_server(primary)
        source = ["-h", str(self.root), "-p", str(primary.port), "-U", "postgres"]
        self._run("pg_basebackup", "-D", str(replica.data_dir), "-R", "-X", "stream", *source)
        self._configure(self.replica)
        self.start_server(self.replica)
        self.wait_for_replay()

    def stop(self) -> None:
        """Stop both servers and remove every file."""
        for server in (self.replica, self.primary):
            if (server.data_dir / "postmaster.pid").exists():
                data = str(server.data_dir)
                self._run("pg_ctl", "-D", data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def start_server(self, server: Server) -> None:
        log = self.root / f"{server.name}.log"
        self._run("pg_ctl", "-D", str(server.data_dir), "-l", str(log), "-w", "start")

    def stop_server(self, server: Server) -> None:
        self._run("pg_ctl", "-D", str(server.data_dir), "-m", "fast", "-w", "stop")

    # --- replication control ---------------------------------------------------------

    def pause_replay(self) -> None:
        """Stop applying WAL on the replica: it keeps receiving, but its data stands still."""
        self.sql(self.replica, "SELECT pg_wal_replay_pause()")
        # Pausing is requested, then takes effect; wait until replay has really stopped.
        self._wait_until(
            lambda: self.sql(self.replica, "SELECT pg_get_wal_replay_pause_state()") == "paused"
        )

    def resume_replay(self) -> None:
        self.sql(self.replica, "SELECT pg_wal_replay_resume()")

    def wait_for_replay(self) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        self._wait_for_replica("pg_last_wal_replay_lsn")

    def wait_for_receive(self) -> None:
        """Wait until the replica has received (not yet replayed) everything written so far."""
        self._wait_for_replica("pg_last_wal_receive_lsn")

    def sql(self, server: Server, query: str) -> str:
        """Run one query with psql on the server's socket and return its unaligned output."""
        target = ["-h", str(self.root), "-p", str(server.port), "-U", "postgres", "-d", "postgres"]
        result = self._run("psql", "-X", "-A", "-t", *target, "-c", query)
        return result.stdout.strip()

    # --- helpers ---------------------------------------------------------------------

    def _configure(self, server: Server, **settings: str) -> None:
        lines = {
            "port": str(server.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            **settings,
        }
        with (server.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# ReplicatedPostgres\n")
            conf.writelines(f"{key} = {value}\n" for key, value in lines.items())

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / program), *args]
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.root)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def _wait_for_replica(self, position_function: str) -> None:
        target = self.sql(self.primary, "SELECT pg_current_wal_lsn()")
        query = f"SELECT {position_function}() >= '{target}'::pg_lsn"
        self._wait_until(lambda: self.sql(self.replica, query) == "t")

    @staticmethod
    def _wait_until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the replica did not reach the expected state in time")
            time.sleep(0.05)
