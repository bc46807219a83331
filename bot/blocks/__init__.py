"""Pure Block Kit builders: functions from domain values to lists of dicts.

Nothing here imports a Slack SDK or a handler, so every surface (slash command
answers, buttons, the Home tab, scheduled digests) renders the same way and the
builders are tested without Slack. :mod:`bot.blocks.limits` holds Slack's size
limits; every builder keeps within them whatever the data (long tag values,
hundreds of groups).
"""
