"""The lab's own MariaDB and RabbitMQ: configs, first-time data setup, loopback only."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess

from .ini import write_if_changed
from .settings import (
    EPMD_PORT,
    HOST,
    MYSQL_PORT,
    PASSWORD,
    PODS,
    RABBIT_DIST_PORT,
    RABBIT_PORT,
    Lab,
)

RABBIT_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
RABBIT_VHOSTS = ("central", *(p.name for p in PODS))


def databases() -> list[str]:
    """Return every database the lab's services use."""
    names = ["keystone", "central_neutron"]
    for pod in PODS:
        names += [f"{pod.short}_{s}" for s in ("nova_api", "nova", "nova_cell0", "placement",
                                               "neutron", "glance", "cinder")]
    return names


def write_mariadb_conf(lab: Lab) -> None:
    write_if_changed(lab.etc / "my.cnf", f"""[mysqld]
datadir={lab.data / 'mysql'}
socket={lab.run / 'mysqld.sock'}
pid-file={lab.run / 'mysqld.pid'}
bind-address={HOST}
port={MYSQL_PORT}
user=root
log-error={lab.logs / 'mariadb.log'}
max_connections=1000
innodb_buffer_pool_size=64M
innodb_flush_log_at_trx_commit=2
sync_binlog=0
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
[client]
socket={lab.run / 'mysqld.sock'}
""")


def mysql_root(lab: Lab, sql: str) -> None:
    """Run ``sql`` as MariaDB's root over the lab's unix socket; raise on failure."""
    subprocess.run(["mariadb", f"--defaults-file={lab.etc / 'my.cnf'}", "-uroot", "-e", sql],
                   check=True, capture_output=True, text=True)


def install_mariadb_datadir(lab: Lab) -> None:
    with open(lab.logs / "mariadb-install-db.log", "ab") as log:
        subprocess.run(["mariadb-install-db", f"--datadir={lab.data / 'mysql'}", "--user=root",
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, stdout=log, stderr=subprocess.STDOUT)


def create_databases_sql() -> str:
    """SQL giving root a password over TCP (loopback only) and creating every database."""
    stmts = [f"CREATE USER IF NOT EXISTS 'root'@'{HOST}' IDENTIFIED BY '{PASSWORD}'",
             f"ALTER USER 'root'@'{HOST}' IDENTIFIED BY '{PASSWORD}'",
             f"GRANT ALL ON *.* TO 'root'@'{HOST}' WITH GRANT OPTION"]
    stmts += [f"CREATE DATABASE IF NOT EXISTS {d} CHARACTER SET utf8mb4" for d in databases()]
    return ";\n".join(stmts) + ";"


def _rabbit_password_hash(password: str) -> str:
    # RabbitMQ's sha256 scheme: base64(salt + sha256(salt + password)); a fixed salt keeps
    # the definitions file byte-identical between runs.
    salt = hashlib.sha256(b"tricircle-lab").digest()[:4]
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def rabbit_definitions() -> dict[str, object]:
    """User ``openstack`` and one vhost per region, imported by RabbitMQ at boot."""
    return {
        "users": [{"name": "openstack", "password_hash": _rabbit_password_hash(PASSWORD),
                   "hashing_algorithm": "rabbit_password_hashing_sha256",
                   "tags": ["administrator"]}],
        "vhosts": [{"name": v} for v in RABBIT_VHOSTS],
        "permissions": [{"user": "openstack", "vhost": v, "configure": ".*", "write": ".*",
                         "read": ".*"} for v in RABBIT_VHOSTS],
    }


def rabbit_env(lab: Lab) -> dict[str, str]:
    data = lab.data / "rabbitmq"
    return {
        "HOME": str(data / "home"), "RABBITMQ_HOME": "/usr/lib/rabbitmq",
        "RABBITMQ_NODENAME": "rabbit@localhost", "RABBITMQ_NODE_IP_ADDRESS": HOST,
        "RABBITMQ_NODE_PORT": str(RABBIT_PORT), "RABBITMQ_DIST_PORT": str(RABBIT_DIST_PORT),
        "RABBITMQ_MNESIA_BASE": str(data / "mnesia"),
        "RABBITMQ_LOG_BASE": str(lab.logs / "rabbitmq"),
        "RABBITMQ_PID_FILE": str(lab.run / "rabbitmq-beam.pid"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(lab.etc / "rabbitmq" / "enabled_plugins"),
        "RABBITMQ_CONFIG_FILE": str(lab.etc / "rabbitmq" / "rabbitmq"),
        "RABBITMQ_CONF_ENV_FILE": str(lab.etc / "rabbitmq" / "rabbitmq-env.conf"),
        "ERL_EPMD_ADDRESS": HOST, "ERL_EPMD_PORT": str(EPMD_PORT),
    }


def write_rabbit_conf(lab: Lab) -> None:
    etc = lab.etc / "rabbitmq"
    write_if_changed(etc / "enabled_plugins", "[].\n")
    write_if_changed(etc / "rabbitmq-env.conf", "")
    write_if_changed(etc / "definitions.json", json.dumps(rabbit_definitions(), indent=1))
    write_if_changed(etc / "rabbitmq.conf", f"""listeners.tcp.default = {HOST}:{RABBIT_PORT}
loopback_users = none
vm_memory_high_watermark.absolute = 512MiB
disk_free_limit.absolute = 50MB
load_definitions = {etc / 'definitions.json'}
""")
    for sub in ("home", "mnesia"):
        (lab.data / "rabbitmq" / sub).mkdir(parents=True, exist_ok=True)
    (lab.logs / "rabbitmq").mkdir(parents=True, exist_ok=True)

