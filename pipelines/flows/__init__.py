"""Prefect flows: thin shells that run the steps in order and do the I/O. One flow per module."""
