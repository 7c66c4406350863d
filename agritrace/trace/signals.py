"""Signals the traceability app sends to the others (which connect to them in their AppConfig):

* ``recall_changed`` (sender: the Recall; ``lot_ids``: the ids of its lots), after a recall is
  started or closed has committed. The stamps app forgets its cached summaries of those lots so
  a scan shows the new state at once rather than when the cache entry expires.
"""

from django.dispatch import Signal

recall_changed = Signal()
