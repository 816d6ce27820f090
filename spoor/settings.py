"""The one place for spoor's paths and their environment variables.

Every other module, the dbt profile and the Dagster resources read these; nothing else
hard-codes a path. Each setting is an environment variable with a default inside the
repository, so a fresh clone runs on the bundled sample.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

DEFAULTS = {
    "SPOOR_EVENTS_URL": str(REPO_ROOT / "data" / "sample" / "events"),
    "SPOOR_WAREHOUSE": str(REPO_ROOT / "data" / "warehouse" / "spoor.duckdb"),
    "SPOOR_ANALYTICS": str(DBT_PROJECT_DIR / "analytics.yml"),
    "SPOOR_TRACKING_PLAN": str(REPO_ROOT / "ingestion" / "tracking_plan"),
    # The first received day Dagster offers as a daily partition.
    "SPOOR_FIRST_DAY": "2025-01-01",
}


def default_serving(warehouse: str) -> str:
    """Where BI tools read the last good build: a `serving` folder beside the warehouse.

    Derived, so a run against another warehouse (a test's tmp_path) never publishes into
    the repository's serving folder.
    """
    return str(Path(warehouse).parent / "serving")


DEV_PII_SALT = "spoor-dev-salt"  # development only: refused with SPOOR_ENV=production
MISSING_SALT = (
    "SPOOR_PII_SALT is not set: with SPOOR_ENV=production the PII hashing salt must come "
    "from the environment (no default salt is used in production)"
)


def pii_salt() -> str:
    """The salt of hashed emails, phone numbers and non-IPv4 addresses (SPOOR_PII_SALT).

    Development falls back to a fixed dev salt so local builds work; production refuses to.
    """
    salt = os.environ.get("SPOOR_PII_SALT", "")
    if salt:
        return salt
    if os.environ.get("SPOOR_ENV", "development").lower() == "production":
        raise RuntimeError(MISSING_SALT)
    return DEV_PII_SALT


@dataclass(frozen=True)
class Settings:
    events_url: str
    warehouse: str
    analytics: str
    tracking_plan: str
    serving: str
    first_day: str

    @classmethod
    def from_env(cls) -> Settings:
        get = lambda name: os.environ.get(name) or DEFAULTS[name]  # noqa: E731
        return cls(
            events_url=get("SPOOR_EVENTS_URL"),
            warehouse=get("SPOOR_WAREHOUSE"),
            analytics=get("SPOOR_ANALYTICS"),
            tracking_plan=get("SPOOR_TRACKING_PLAN"),
            serving=os.environ.get("SPOOR_SERVING") or default_serving(get("SPOOR_WAREHOUSE")),
            first_day=get("SPOOR_FIRST_DAY"),
        )

    def export(self) -> None:
        """Publish these settings to the environment, for dbt and Dagster in this process."""
        os.environ["SPOOR_EVENTS_URL"] = self.events_url
        os.environ["SPOOR_WAREHOUSE"] = self.warehouse
        os.environ["SPOOR_ANALYTICS"] = self.analytics
        os.environ["SPOOR_TRACKING_PLAN"] = self.tracking_plan
        if self.serving != default_serving(self.warehouse):
            # Derived from the warehouse otherwise: a child run with another warehouse
            # (`spoor run --warehouse`) must derive its own.
            os.environ["SPOOR_SERVING"] = self.serving
        os.environ["SPOOR_FIRST_DAY"] = self.first_day
