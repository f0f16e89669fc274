"""Step 5, decide: from a dossier's findings to its next status, mail and documents."""
from pipelines.decide.decide import Decision, decide, STATUS_LABELS

__all__ = ["Decision", "decide", "STATUS_LABELS"]
