"""Production server: gunicorn serving the WSGI app; whitenoise serves static files."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from dangan.wsgi import application

        return application


def options(*, host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """gunicorn's settings. One thread per worker process by default: a request is
    Python work under the GIL, so more threads per process add no throughput, only
    hand-offs between them and a database connection each (an SQLite connection has its
    own page cache, so four of them per process are each colder). The gthread worker
    still keeps idle keep-alive connections in its poller, not in a thread."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 120,
        "accesslog": "-",
        "graceful_timeout": 20,
    }


def run(*, host: str, port: int, workers: int, threads: int = 1) -> None:
    _Gunicorn(options(host=host, port=port, workers=workers, threads=threads)).run()
