"""The data a rule is judged on: event logs read into the ``events`` table (with mappings for
real exports), and the working-day calendar."""
