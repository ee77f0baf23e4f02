"""Alembic environment: uses a connection handed over by gridscreen.migrate, or GRIDSCREEN_DATABASE_URL."""

from alembic import context

from gridscreen.config import get_settings
from gridscreen.db import make_engine
from gridscreen.models import metadata

config = context.config


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(get_settings().database_url)
    with engine.begin() as conn:
        run(conn)
