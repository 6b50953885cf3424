"""``govcheck check --engine spark``: the same compiled plans on Spark SQL, for logs one
machine cannot hold (a province's data lake).

``session`` starts or reaches Spark; ``ingest`` reads the logs Spark can read into the
``events`` view (the mapping, bad rows and copies as ``data.ingest`` has them);
``calendar`` broadcasts the working-day calendar; ``sql`` translates the plans ``batch``
compiles for the ``spark`` dialect; ``run`` runs them and brings back only findings,
counts and evidence; ``database`` answers the few questions ``api`` asks of a log.
pyspark is imported only here, and only when ``--engine spark`` is asked for.
"""
