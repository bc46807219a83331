"""Readers: one per export layout, each turning a file into canonical line batches.

A reader yields :class:`~bot.costs.readers.common.LineBatch` objects: plain (a
table with the columns of :data:`~bot.costs.readers.common.BATCH_COLUMNS` plus
one ``tag:<key>`` string column per canonical tag key, a row per line), or
compact (the CUR reader: each distinct combination's dimension columns once,
and each line's combination, day and amounts), and reports bad rows with file,
row, column and reason.
"""
