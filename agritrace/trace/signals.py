"""Signals the traceability app sends to the others (which connect to them in their AppConfig):

* ``recall_changed`` (sender: the Recall; ``lot_ids``: the ids of its lots), after a recall is
  started or closed has committed. The stamps app forgets its cached summaries of those lots so
  a scan shows the new state at once rather than when the cache entry expires.
* ``events_captured`` (sender: the CaptureJob class; ``job``: the capture job; ``event_ids``:
  the database ids of the events it stored, possibly empty), after a capture has committed.
  The misuse app updates its running totals and findings from it.
* ``capture_refused`` (sender: the CaptureJob class; ``job``: the FAILED capture job; its
  ``refusals`` are the refused events' facts), after a refused capture was kept. The misuse
  app counts an attempt under an unusable code as evidence.
"""

from django.dispatch import Signal

recall_changed = Signal()
events_captured = Signal()
capture_refused = Signal()
