"""Plan jobs on a queue: Huey carries job ids, the database holds everything else.

``queue.py`` builds the Huey instance (a SQLite file with no broker, Redis by URL), ``runner.py``
runs one job (claim, heartbeat, plan, store), ``worker.py`` is the worker process that
``basuracero worker`` and the service's embedded worker both run, ``embedded.py`` starts that
process from the service.
"""
