"""A real directory server for tests: OpenLDAP's ``slapd`` (Debian package ``slapd``), started on a free
port as a plain process with a generated ``slapd.conf`` in a temporary folder, seeded with a small
directory, and stopped after.

``Directory.start()`` writes the config, loads the seed with ``slapadd`` (offline, before the server
runs), starts ``slapd`` in the foreground of its own process group (stopped as a whole by
``processes``, whatever way the test process ends) and waits until it accepts connections.

The seed (``SUFFIX``): ``ou=people`` with the users of ``USERS`` (``inetOrgPerson``, clear-text
passwords, which slapd checks on a simple bind), and ``ou=groups`` with the ``groupOfNames`` of
``GROUPS``. ``cn=admin`` (the rootdn, password ``BIND_PASSWORD``) may read and write everything.

Where slapd is missing, ``SlapdMissing`` says how to install it (``make install`` does, as root with
apt-get).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from reconciler.errors import KcrError
from reconciler.testing import processes

SUFFIX = "dc=example,dc=org"
BIND_DN = f"cn=admin,{SUFFIX}"
BIND_PASSWORD = "directory-admin-secret"  # a throw-away directory's password, for tests only
PEOPLE_DN = f"ou=people,{SUFFIX}"
GROUPS_DN = f"ou=groups,{SUFFIX}"
# uid -> (given name, surname, password)
USERS: dict[str, tuple[str, str, str]] = {
    "ada": ("Ada", "Lovelace", "ada-password-1"),
    "alan": ("Alan", "Turing", "alan-password-1"),
}
# cn -> member uids
GROUPS: dict[str, tuple[str, ...]] = {"engineers": ("ada",), "operators": ("alan",)}
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
START_TIMEOUT = 30.0
INSTALL_HINT = (
    "OpenLDAP's slapd is not installed: run `make install` as root (it runs "
    "`apt-get install -y slapd ldap-utils`), or install the Debian packages slapd and ldap-utils yourself"
)


class DirectoryError(KcrError):
    """The test directory server could not be started; the message says why."""


class SlapdMissing(DirectoryError):
    """slapd (or slapadd) is not on this machine."""


def find_slapd() -> tuple[str, str]:
    """The paths of ``slapd`` and ``slapadd`` (Debian puts them in /usr/sbin, often not on PATH)."""
    found = []
    for name in ("slapd", "slapadd"):
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
        if path is None:
            raise SlapdMissing(INSTALL_HINT)
        found.append(path)
    return found[0], found[1]


def user_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE_DN}"


def seed_ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n",
        f"dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups\n",
    ]
    for uid, (given, surname, password) in USERS.items():
        entries.append(
            f"dn: {user_dn(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {given}\nsn: {surname}\n"
            f"givenName: {given}\nmail: {uid}@example.org\nuserPassword: {password}\n"
        )
    for cn, members in GROUPS.items():
        lines = "".join(f"member: {user_dn(uid)}\n" for uid in members)
        entries.append(f"dn: cn={cn},{GROUPS_DN}\nobjectClass: groupOfNames\ncn: {cn}\n{lines}")
    return "\n".join(entries)


def _config(folder: Path) -> str:
    includes = "".join(f"include /etc/ldap/schema/{name}.schema\n" for name in SCHEMAS)
    return (
        f"{includes}"
        f"pidfile {folder / 'slapd.pid'}\n"
        "modulepath /usr/lib/ldap\n"
        "moduleload back_mdb\n"
        "database mdb\n"
        f'suffix "{SUFFIX}"\n'
        f'rootdn "{BIND_DN}"\n'
        f"rootpw {BIND_PASSWORD}\n"
        f"directory {folder / 'data'}\n"
        "maxsize 67108864\n"
        # Users may bind with their own password; anonymous connections may only bind.
        "access to attrs=userPassword by self write by anonymous auth by * none\n"
        "access to * by users read by anonymous auth\n"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Directory:
    """A running slapd (after ``start``) and where Keycloak reaches it."""

    folder: Path = field(default_factory=Path)  # a new temporary folder, made by ``start``
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.folder / "slapd.log"

    def start(self) -> Directory:
        slapd, slapadd = find_slapd()
        self.folder = Path(tempfile.mkdtemp(prefix="kcr-slapd-"))
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        conf = self.folder / "slapd.conf"
        conf.write_text(_config(self.folder), encoding="utf-8")
        seed = self.folder / "seed.ldif"
        seed.write_text(seed_ldif(), encoding="utf-8")
        loaded = subprocess.run(
            [slapadd, "-f", str(conf), "-l", str(seed)], capture_output=True, text=True, check=False
        )
        if loaded.returncode != 0:
            raise DirectoryError(f"slapadd could not load the seed directory: {loaded.stderr.strip()}")
        self.port = _free_port()
        # -d 0: stay in the foreground (our child, stopped with its process group), log nothing extra.
        command = [slapd, "-f", str(conf), "-h", f"{self.url}/", "-d", "0"]
        self.process = processes.spawn(command, env={"PATH": "/usr/bin:/bin"}, log_file=self.log_file)
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                log = self.log_file.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise DirectoryError(f"slapd exited with {self.process.returncode} at start:\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise DirectoryError(f"slapd did not listen on port {self.port} within {START_TIMEOUT:.0f}s")

    def stop(self) -> None:
        if self.process is not None:
            processes.stop_group(self.process.pid, proc=self.process, grace=5)
            self.process = None
        if self.folder.name.startswith("kcr-slapd-"):
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Directory:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
