"""A Django app whose system checks compare CONN_MAX_AGE with the live idle timeouts.

Add "cloudtimeouts.contrib.django" to INSTALLED_APPS, then run
`manage.py check --database default` (the live check is tagged `database`, so Django runs it
only when asked which databases to check). The optional setting CLOUDTIMEOUTS_PROFILE names a
profile (or a dict of alias -> profile) that the DATABASES settings must match, and whose
`workers:` must declare the task queues the settings show (worker_checks).

Outside the request cycle, the glue (no app needed, import it where it is used):
`glue.unit_of_work` / `glue.checkpoint` for management commands and long tasks;
`rq.ConnectionClosingWorker` / `rq.ConnectionClosingSimpleWorker` for RQ;
`dramatiq.CloseConnections` for Dramatiq without django_dramatiq; `huey.install(huey)` for Huey.
Each of those modules imports its framework, and only it.
"""
