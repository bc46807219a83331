"""CLI commands grouped by area (one module each), registered on the ``costbot`` group in
:mod:`bot.cli`. Like the CLI itself they are a thin layer: build the services, call the
domain, print; :mod:`bot.commands.common` turns the project's errors into one-line
messages and exit codes.
"""
