"""Real processes for end-to-end tests: a private Redis, portal commands, Celery workers.

Every process binds to 127.0.0.1 on a free port and is stopped by the fixture that started
it. Nothing here touches the machine's own Redis or PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cluster_env(work: Path, *, database_url: str, redis_port: int, web_port: int | None = None,
                **extra: str) -> dict[str, str]:
    """The environment of a cluster-mode portal on loopback: this process's environment
    without its database and Redis, fresh secrets, plain HTTP, media and recordings under
    `work` (a spool shared with other runs would have a starting worker sweep, and lease,
    cameras that are not this test's)."""
    from apps.core.crypto import new_key
    from apps.records.signing import new_signing_key

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS"))},
        "DATABASE_URL": database_url, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": "loopback-" + "x" * 50, "CAMERA_KEYS": new_key(), "HTTPS": "false",
        "ANCHOR_SIGNING_KEY": new_signing_key(), "ANCHOR_WITNESS_DIR": str(work / "witness"),
        "CAMERA_NETWORKS": "127.0.0.0/8", "MEDIA_ROOT": str(work / "media"),
        "RECORDINGS_ROOT": str(work / "recordings"),
        "RECORDINGS_SPOOL": str(work / "recordings-spool"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    if web_port is not None:
        env |= {"SITE_ORIGINS": f"http://127.0.0.1:{web_port}", "ALLOWED_HOSTS": "127.0.0.1"}
    return env | extra


class Processes:
    """Starts processes with one environment and stops them all at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append(process)
        return process

    def run(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(args, cwd=ROOT, env=self.env, capture_output=True, text=True,
                                timeout=timeout, check=False)
        if result.returncode != 0:
            raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def manage(self, *args: str, timeout: float = 120) -> str:
        return self.run(sys.executable, "manage.py", *args, timeout=timeout)

    def prepare_cluster(self, redis_port: int) -> None:
        """A private Redis, the schema migrated and the static files collected (cluster
        mode's Daphne serves collected files only)."""
        start_redis(self, redis_port)
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")

    def start_daphne(self, port: int, *options: str, timeout: float = 60) -> subprocess.Popen:
        """Daphne serving the portal on 127.0.0.1:`port`, once it accepts connections."""
        process = self.start("daphne", sys.executable, "-m", "daphne", "--bind", "127.0.0.1",
                             "--port", str(port), *options, "portal.asgi:application")
        wait_until(lambda: listening(port), timeout, what="daphne listening")
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_redis(processes: Processes, port: int) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed")
    process = processes.start("redis", binary, "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no")
    import redis

    client = redis.Redis(port=port, socket_timeout=1)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    wait_until(up, 10, what="redis up")
    return process


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port, owned by the `postgres` system user
    (initdb refuses to run as root). Stopped and started by the tests to simulate outages."""

    def __init__(self, port: int) -> None:
        # Its own folder: pytest's temporary folders are private to root, and the server
        # runs as `postgres`.
        self.folder = Path(tempfile.mkdtemp(prefix="posko-pg-"))
        self.folder.chmod(0o755)
        self.port = port
        self.data = self.folder / "pgdata"
        self.bin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                          "-U", "postgres", "--no-sync")
        return self.start()

    def start(self) -> PrivatePostgres:
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l",
            str(self.folder / "postgres.log"), "-o",
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start")
        return self

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast",
                          "stop")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
