"""Client-side deadlines for PostgreSQL: a server that stops answering is said, not waited for.

A database server that is stopped (SIGSTOP, a frozen virtual machine) still has its sockets
answered by the kernel: the server's statement_timeout never fires and TCP keepalives see a
live peer, so a statement would wait for ever and the page with it. :func:`install` gives
every statement (the statement timeout plus :data:`GRACE`) and every check-out of a pooled
connection (the connect timeout) a deadline; past it, the connection's socket is shut down
from a watchdog thread, psycopg raises, ``connection.translate`` makes that the Swedish
"går inte att nå (servern svarar inte …)", and the pool drops the connection. A write cut off
this way is rolled back by the server, as any broken transaction.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import sqlalchemy as sa

log = logging.getLogger(__name__)

GRACE = 0.5  # seconds past the server's statement timeout before the client gives up


class _Watchdog:
    """Deadlines of the connections in use; one thread shuts down the sockets past theirs."""

    def __init__(self) -> None:
        self._due: dict[int, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def arm(self, dbapi_conn, seconds: float) -> None:
        try:
            fd = dbapi_conn.pgconn.socket
        except Exception:  # closed already: the statement fails by itself
            return
        with self._lock:
            self._due[id(dbapi_conn)] = (time.monotonic() + seconds, fd)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="lagesbild-watchdog",
                                                daemon=True)
                self._thread.start()

    def disarm(self, dbapi_conn) -> None:
        with self._lock:
            self._due.pop(id(dbapi_conn), None)

    def _run(self) -> None:
        while True:
            time.sleep(0.2)
            now = time.monotonic()
            with self._lock:
                late = [(key, fd) for key, (due, fd) in self._due.items() if due < now]
                for key, _ in late:
                    del self._due[key]
            for _, fd in late:
                log.warning("database did not answer in time; closing its connection")
                try:
                    with socket.socket(fileno=os.dup(fd)) as sock:
                        sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


_WATCHDOG = _Watchdog()


def install(engine: sa.Engine, statement_timeout: float, connect_timeout: float) -> None:
    """Every statement and every check-out of a pooled connection has a client-side
    deadline (see :class:`_Watchdog`); a connection that fails its check is replaced."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _arm(conn, cursor, statement, parameters, context, executemany):
        _WATCHDOG.arm(conn.connection.dbapi_connection, statement_timeout + GRACE)

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn, cursor, statement, parameters, context, executemany):
        _WATCHDOG.disarm(conn.connection.dbapi_connection)

    @sa.event.listens_for(engine, "handle_error")
    def _disarm_failed(context):
        try:
            _WATCHDOG.disarm(context.connection.connection.dbapi_connection)
        except Exception:
            pass

    @sa.event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, proxy):
        # After a restart or a drop the pooled connections are dead: found here, replaced by
        # the pool, and the page never sees the old connection's error. SELECT 1 answers at
        # once; one that does not within the connect timeout is from a server that does not
        # answer, and the new connection the pool then tries takes the connect timeout too:
        # a page says so after twice the connect timeout (20 s by default), well within the
        # statement timeout (120 s).
        _WATCHDOG.arm(dbapi_conn, min(connect_timeout, statement_timeout))
        try:
            with dbapi_conn.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as exc:
            raise sa.exc.DisconnectionError(f"stale connection: {type(exc).__name__}") \
                from None
        finally:
            _WATCHDOG.disarm(dbapi_conn)
