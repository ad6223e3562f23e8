"""A throwaway PostgreSQL server for tests and benchmarks (Debian's `postgresql` package).

initdb into a fresh folder and run `postgres -D DIR -k DIR` there: no system service is touched.
As root it runs everything as the `postgres` user (PostgreSQL refuses to run as root), by
setuid in the child (subprocess's user=), so signals reach postgres itself. It
listens on a Unix socket in DIR, and on 127.0.0.1:PORT when tcp=True.

    pg = PgServer(tmp_dir); pg.start(); pg.create_db("x"); url = pg.url("x"); ...; pg.stop()
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


def pg_bin_dir() -> Path | None:
    """Debian installs the server outside PATH: /usr/lib/postgresql/<major>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    exe = shutil.which("postgres")
    return Path(exe).parent if exe else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, root: Path, tcp: bool = False):
        self.bin = pg_bin_dir()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
        self.dir = Path(root) / "pgdata"
        self.sock = Path(root) / "pgsock"
        self.port = free_port()
        self.tcp = tcp
        self.proc: subprocess.Popen | None = None
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else os.environ.get("USER", "postgres")
        self.log = Path(root) / "postgres.log"
        for d in (self.dir, self.sock):
            d.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(root, "postgres")
            for d in (self.dir, self.sock):
                shutil.chown(d, "postgres")
            os.chmod(root, 0o755)
        self._run([str(self.bin / "initdb"), "-D", str(self.dir), "-U", self.user, "-A", "trust", "--no-sync", "-E", "UTF8"],
                  check=True)

    def _as_user(self) -> dict:
        return {"user": "postgres", "group": "postgres", "extra_groups": [], "cwd": str(self.dir)} if self.as_root else {}

    def _run(self, argv: list[str], check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=check, **self._as_user())

    def start(self, timeout: float = 30):
        listen = "127.0.0.1" if self.tcp else ""
        log = open(self.log, "a")
        if self.as_root:
            shutil.chown(self.log, "postgres")
        # fsync off: a test database need not survive a power cut, and the disk is shared.
        self.proc = subprocess.Popen([str(self.bin / "postgres"), "-D", str(self.dir), "-k", str(self.sock),
                                      "-p", str(self.port), "-c", f"listen_addresses={listen}",
                                      "-c", "fsync=off", "-c", "max_connections=100"],
                                     stdout=log, stderr=subprocess.STDOUT, **self._as_user())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited:\n" + self.log.read_text()[-2000:])
            r = self._run([str(self.bin / "pg_isready"), "-h", str(self.sock), "-p", str(self.port)])
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not become ready:\n" + self.log.read_text()[-2000:])

    def stop(self, mode: str = "fast"):
        """Stops the server (SIGINT = fast shutdown: open connections are cut)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal({"smart": 15, "fast": 2, "immediate": 3}[mode])
            self.proc.wait(30)
        self.proc = None

    def psql(self, sql: str, db: str = "postgres") -> str:
        r = self._run([str(self.bin / "psql") if (self.bin / "psql").exists() else "psql",
                       "-h", str(self.sock), "-p", str(self.port), "-U", self.user, "-d", db, "-Atq", "-v", "ON_ERROR_STOP=1",
                       "-c", sql])
        if r.returncode != 0:
            raise RuntimeError(f"psql failed: {r.stdout}")
        return r.stdout.strip()

    def create_db(self, name: str):
        self.psql(f'CREATE DATABASE "{name}"')

    def url(self, db: str) -> str:
        """A libpq URI; over TCP when the server listens there, else the Unix socket."""
        if self.tcp:
            return f"postgresql://{self.user}@127.0.0.1:{self.port}/{db}"
        return f"postgresql:///{db}?host={self.sock}&port={self.port}&user={self.user}"
