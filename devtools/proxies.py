"""Real reverse proxies for `make team` and the team tests: HAProxy and nginx on loopback.

- :class:`HAProxyServer` runs ``deploy/haproxy.cfg`` unchanged: the file reads its addresses from
  environment variables (``CHARLA_PUBLIC``, ``CHARLA_APP_A``, ``CHARLA_APP_B``), which this sets.
- :class:`NginxServer` runs a configuration text (``deploy/nginx.conf`` with its example ports and
  identity source replaced by the caller), with its pid file and temp paths in its own directory.

Both are ready when the public port answers ``/_stcore/health`` through them (200: at least one
app process is up), and raise :class:`~devtools.servers.ServiceUnavailable` with the reason when
the binary is missing or the proxy does not come up.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

from devtools.servers import LOOPBACK, PROJECT_ROOT, ServiceUnavailable, _HTTPProcess, free_port

HAPROXY_CONFIG = PROJECT_ROOT / "deploy" / "haproxy.cfg"
NGINX_CONFIG = PROJECT_ROOT / "deploy" / "nginx.conf"
PROXY_START_TIMEOUT = 30.0


def _binary(name: str, package: str) -> str:
    found = shutil.which(name) or shutil.which(f"/usr/sbin/{name}")
    if found is None:
        raise ServiceUnavailable(
            f"{name} is not installed; run 'make system-deps' as root or 'apt-get install {package}'"
        )
    return found


class HAProxyServer(_HTTPProcess):
    """HAProxy with ``deploy/haproxy.cfg`` in front of two app processes."""

    name = "haproxy"

    def __init__(self, backends: Sequence[str], *, port: int = 0) -> None:
        super().__init__()
        if len(backends) != 2:
            raise ValueError("deploy/haproxy.cfg names two app processes")
        self.backends = list(backends)
        self.fixed_port = port

    def _start(self) -> None:
        binary = _binary("haproxy", "haproxy")
        self.port = self.fixed_port or free_port()
        env = {
            "CHARLA_PUBLIC": f"{LOOPBACK}:{self.port}",
            "CHARLA_APP_A": self.backends[0],
            "CHARLA_APP_B": self.backends[1],
        }
        self._spawn(
            [binary, "-db", "-f", str(HAPROXY_CONFIG)],
            ready_path="/_stcore/health",
            timeout=PROXY_START_TIMEOUT,
            env=env,
        )


class NginxServer(_HTTPProcess):
    """nginx in the foreground with ``config`` (a whole nginx.conf text)."""

    name = "nginx"

    def __init__(self, config: str, port: int) -> None:
        super().__init__()
        self.config = config
        self.port = port

    def _start(self) -> None:
        binary = _binary("nginx", "nginx-light")
        workdir = self._make_workdir()
        config = self.config.replace("/tmp/charla-nginx.pid", str(workdir / "nginx.pid"))
        (workdir / "nginx.conf").write_text(config)
        self.workdir = None  # _spawn makes its own directory for the log; keep the config's
        try:
            self._spawn(
                [
                    binary,
                    "-p",
                    str(workdir),
                    "-c",
                    str(workdir / "nginx.conf"),
                    "-e",
                    str(workdir / "error.log"),
                    "-g",
                    "daemon off;",
                ],
                ready_path="/_stcore/health",
                timeout=PROXY_START_TIMEOUT,
                env={},
            )
        finally:
            self._config_dir = workdir

    def _stop(self) -> None:
        super()._stop()
        directory = getattr(self, "_config_dir", None)
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
