"""cloudtimeouts: keep CONN_MAX_AGE below every idle timeout that can close a connection."""

__version__ = "0.1.0"
