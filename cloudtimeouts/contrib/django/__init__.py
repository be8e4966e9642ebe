"""A Django app whose system checks compare CONN_MAX_AGE with the live idle timeouts.

Add "cloudtimeouts.contrib.django" to INSTALLED_APPS, then run
`manage.py check --database default` (the live check is tagged `database`, so Django runs it
only when asked which databases to check). The optional setting CLOUDTIMEOUTS_PROFILE names a
profile (or a dict of alias -> profile) that the DATABASES settings must match.
"""
