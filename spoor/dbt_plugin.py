"""A dbt-duckdb plugin (profiles.yml `plugins:`) that hands secrets to SQL as session
variables, never as text: a salt rendered into SQL would be written to dbt's target/
(compiled SQL, run SQL, manifest.json) and its logs.

Each connection and cursor dbt opens gets `getvariable('spoor_pii_salt')`, bound as a
query parameter. The salt comes only from the environment (spoor.settings.pii_salt).
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from spoor.settings import pii_salt


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        self.salt = pii_salt()  # raises in production when the salt is missing

    def _set(self, conn) -> None:
        conn.execute("SET VARIABLE spoor_pii_salt = ?", [self.salt])

    def configure_connection(self, conn) -> None:
        self._set(conn)

    def configure_cursor(self, cursor) -> None:
        # Variables are per connection; dbt's cursors are connections of their own.
        self._set(cursor)
