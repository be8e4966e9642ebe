"""cloudtimeouts: keep Django's CONN_MAX_AGE below every idle timeout that can close its connection."""

__version__ = "0.1.0"
