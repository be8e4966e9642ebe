"""`cloudtimeouts diagnose`: which timeout closed the connection, from the logs' evidence.

This package reads (`read`, with one module of recognisers per side: `formats_app`,
`formats_server`) and says what it read as `evidence.Evidence`; the correlation and the verdict
build on those records. Standard library only: no cloud SDK, no driver (issue 19).
"""
