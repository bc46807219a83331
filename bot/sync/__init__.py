"""Keep the store fresh by itself: Cost Explorer, Athena and S3 export syncs.

Every source ends in :func:`bot.sync.write.write_lines`, the same roll-up and
:meth:`~bot.costs.store.CostStore.replace` that file ingestion uses, so
``/cost``, digests and alerts read synced data exactly like ingested data.
"""
