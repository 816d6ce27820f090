"""The serving folder BI tools read: the last successful build, published atomically."""

from orchestration.serving.layout import ServingLayout
from orchestration.serving.publish import Publication, publish, read_manifest
from orchestration.serving.snapshot import Relation

__all__ = ["Publication", "Relation", "ServingLayout", "publish", "read_manifest"]
