"""AINAScan's analyzer: Python source in, findings out. Pure: no network, no GitHub, no Redis."""

__version__ = "0.1.0"
