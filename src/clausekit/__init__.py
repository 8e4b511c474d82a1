"""clausekit: consolidate ABC Clauses exports into the Département's insertion-clause report."""

__version__ = "0.1.0"  # the package version (pyproject.toml reads it from here)

__all__ = ["__version__"]
