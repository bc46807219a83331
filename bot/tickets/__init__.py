"""Turning findings into owned work: the finding port, the ticket filer, the cost source.

A *finding* is anything costbot noticed that someone should act on: an anomaly,
an idle GPU, a budget alert, a ``/cost`` answer. Each kind registers a
:class:`~bot.tickets.findings.FindingSource` that turns a finding id into a
:class:`~bot.tickets.findings.FindingContext`, which is all the ticket flow
(Slack button, modal, ``costbot ticket``) needs to know about it.
"""
