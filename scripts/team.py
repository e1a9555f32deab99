"""``make team``: the team set-up on one machine — PostgreSQL, two app processes, HAProxy.

1. PostgreSQL: ``DATABASE_URL`` from the environment or ``.env`` if it is a PostgreSQL URL (your
   team's database); otherwise a private cluster in a temporary directory, gone when this stops
   (:class:`devtools.servers.PostgresServer`). The schema is migrated once, before the apps start.
2. Two ``streamlit run`` processes on 127.0.0.1 (ports 8501 and 8502 unless ``CHARLA_TEAM_PORTS``
   says ``A,B``), sharing the database and one cookie secret (``CHARLA_COOKIE_SECRET``, else a new
   random one per run): a browser that lands on the other process stays signed in. For sign-in
   (``CHARLA_AUTH=oidc``) both read the same ``.streamlit/secrets.toml``, whose ``[auth]``
   ``cookie_secret`` then wins and whose ``redirect_uri`` must be the proxy's public URL.
3. HAProxy with ``deploy/haproxy.cfg`` on http://127.0.0.1:8080 (``CHARLA_TEAM_PUBLIC_PORT``):
   sticky sessions by cookie, health checks on ``/_stcore/health``, WebSockets.

Ctrl-C stops everything this script started. Kill one app process (its pid is printed) and the
browsers on it continue on the other, signed in, with every chat as it was in the database.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # ``python scripts/team.py`` puts only scripts/ on the path
    sys.path.insert(0, str(PROJECT_ROOT))

from core.conf import db as conf_db  # noqa: E402
from core.conf.settings import get_settings  # noqa: E402
from core.errors import CharlaError  # noqa: E402
from core.identity import proxy_address_problem  # noqa: E402
from devtools.proxies import HAProxyServer  # noqa: E402
from devtools.servers import (  # noqa: E402
    LOOPBACK,
    PostgresServer,
    ServiceUnavailable,
    StreamlitServer,
)


def app_processes(database_url: str, cookie_secret: str, ports: list[int]) -> list[StreamlitServer]:
    """The app processes of a team set-up (not started): loopback only, one database, one
    secret; in proxy mode Streamlit maps the proxy's headers into ``st.user``."""
    options: list[str] = []
    if get_settings().auth == "proxy":
        options += [
            "--server.trustedUserHeaders",
            '{"X-Forwarded-Email": "email", "X-Forwarded-User": "name"}',
        ]
    # Streamlit takes the cookie secret from its environment only (not the command line).
    env = {"DATABASE_URL": database_url, "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret}
    return [StreamlitServer(env=env, address=LOOPBACK, options=options, port=p) for p in ports]


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    try:
        settings = get_settings()
    except CharlaError as exc:
        print(exc.user_message(), file=sys.stderr)
        return 2
    problem = proxy_address_problem(settings.auth, LOOPBACK)
    assert problem is None  # the processes below always listen on 127.0.0.1
    ports = [int(p) for p in os.environ.get("CHARLA_TEAM_PORTS", "8501,8502").split(",")]
    public = int(os.environ.get("CHARLA_TEAM_PUBLIC_PORT", "8080"))
    secret = os.environ.get("CHARLA_COOKIE_SECRET") or secrets.token_urlsafe(32)
    started: list[object] = []
    # A `kill` (SIGTERM) stops everything too, as Ctrl-C does: nothing is left running.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        url = settings.database_url
        if not url.startswith("postgresql"):
            postgres = PostgresServer().start()
            started.append(postgres)
            url = postgres.url
            print(f"PostgreSQL (private, temporary): {url}")
        conf_db.configure(url)
        conf_db.init_db()
        apps = [app.start() for app in app_processes(url, secret, ports)]
        started.extend(apps)
        for app in apps:
            assert app.process is not None
            print(f"App process {app.url} (pid {app.process.pid})")
        proxy = HAProxyServer([f"{LOOPBACK}:{app.port}" for app in apps], port=public).start()
        started.append(proxy)
        print(f"Charla for a team: http://{LOOPBACK}:{proxy.port}  (Ctrl-C stops everything)")
        while True:
            time.sleep(3600)
    except ServiceUnavailable as exc:
        print(f"make team: {exc.reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for service in reversed(started):
            service.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
