"""The floor: the same server stack serving one durable single-row upsert and nothing else.

`gunicorn -c gunicorn.conf.py 'bench.floor:create_floor_app()'` (the workers, threads and
keep-alive of `make run`), Flask, and the same engine settings as examsite: on SQLite WAL,
`synchronous` and the busy timeout from `config.Config` and BEGIN IMMEDIATE (the pragmas
examsite's connections run, set here by the floor itself); on PostgreSQL the server's defaults
(synchronous_commit on).
Each PUT commits one upsert before the reply. No authentication, no ownership or deadline checks,
no ORM: the best any save could do here.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine

from config import CONFIGS

TABLE_NAME = "bench_floor_responses"
metadata = MetaData()
responses = Table(
    TABLE_NAME,
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("choices", JSON, nullable=False),
    Column("flagged", Boolean, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
    Column("saves", Integer, nullable=False),
)


def make_engine(url: str | None = None) -> Engine:
    config = CONFIGS[os.environ.get("EXAMSITE_ENV", "development")]
    url = url or config.SQLALCHEMY_DATABASE_URI
    options = dict(config.SQLALCHEMY_ENGINE_OPTIONS or {})
    options.setdefault("pool_size", config.DB_POOL_SIZE)  # as examsite.database sets them
    options.setdefault("max_overflow", 2)
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": config.SQLITE_BUSY_TIMEOUT_MS / 1000}
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, config.SQLITE_SYNCHRONOUS, config.SQLITE_BUSY_TIMEOUT_MS)
    return engine


def _configure_sqlite(engine: Engine, synchronous: str, busy_ms: int) -> None:
    """WAL, the app's `synchronous` and busy timeout, and BEGIN IMMEDIATE: every floor
    transaction writes."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_table(url: str) -> None:
    engine = make_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    engine.dispose()


def _upsert(engine: Engine):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(responses)
    return statement.on_conflict_do_update(
        index_elements=[responses.c.id],
        set_={
            "choices": statement.excluded.choices,
            "flagged": statement.excluded.flagged,
            "saved_at": statement.excluded.saved_at,
            "saves": responses.c.saves + 1,
        },
    )


def create_floor_app() -> Flask:
    app = Flask(__name__)
    engine = make_engine()
    upsert = _upsert(engine)

    @app.put("/floor/responses/<int:key>")
    def save(key: int):
        data = request.get_json(silent=True) or {}
        choices = data.get("choices", [])
        if not isinstance(choices, list):
            return jsonify({"error": "invalid"}), 422
        now = datetime.now(UTC)
        with engine.begin() as conn:
            conn.execute(
                upsert,
                {
                    "id": key,
                    "choices": choices,
                    "flagged": bool(data.get("flagged")),
                    "saved_at": now,
                    "saves": 1,
                },
            )
        return jsonify({"saved_at": now.isoformat(timespec="milliseconds")})

    @app.get("/healthz")
    def healthz():
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return jsonify({"status": "ok"})

    return app
