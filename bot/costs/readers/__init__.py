"""Readers: one per export layout, each turning a file into canonical line batches.

A reader yields :class:`~bot.costs.readers.common.LineBatch` objects whose table
has the columns of :data:`~bot.costs.readers.common.BATCH_COLUMNS` plus one
``tag:<key>`` string column per canonical tag key, and reports bad rows with
file, row, column and reason.
"""
