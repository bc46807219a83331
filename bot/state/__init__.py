"""What the bot remembers beside the costs, in the same SQLite file.

One module per concern (run ledger, subscriptions, budgets, findings, audit,
idempotency keys, ticket requests, sync ledger …), each with its own
sqlite-utils ``Migrations`` set registered in :mod:`bot.state.migrations`, where
``DECLARED`` also names each migration.
"""
