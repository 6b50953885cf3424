"""The batch engine: each rule compiled to one SQL query (``compile``, pure) and run in
embedded DuckDB over the ``events`` and ``cal`` tables (``run``)."""
