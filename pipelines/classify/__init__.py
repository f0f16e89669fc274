"""Classify a parsed mail: automatic mail first (never answered), then inbox rules as data."""
from pipelines.classify.autoreply import automatic_reason
from pipelines.classify.rules import InboxRule, Classification, classify, load_rules

__all__ = ["automatic_reason", "InboxRule", "Classification", "classify", "load_rules"]
