"""clausekit: consolidate ABC Clauses exports into the Département's insertion-clause report."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("clausekit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
