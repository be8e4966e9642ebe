"""A minimal Django project for the database proofs: one view that runs one query."""
