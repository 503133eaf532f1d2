"""The two ways a sync stops on purpose; each message is the one sentence the user sees."""


class SyncError(Exception):
    """A problem the user can fix (exit status 1)."""


class Refusal(SyncError):
    """The sync would change or expose something it did not make, so it changed nothing (exit status 2)."""
