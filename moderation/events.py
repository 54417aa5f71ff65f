"""
What moderation tells other apps, without importing them (they import moderation): Django
signals sent after the change commits. A receiver must be quick; real work goes to a task.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent after new reports commit: `report_ids` (list[int]) of the reports just stored.
# The signals app matches their media against its hash banks in the background.
reports_received = Signal()
# Sent after a new media item (or a purged one sent again) commits: `media_id` (int). Reports
# may reference media before it arrives, so matching runs again when it does.
media_received = Signal()
# Sent after automated signals commit on cases (intake's platform scores, a hash match, a
# classifier score): `case_ids` (list[int]). The signals app weighs automatic actions then.
signals_added = Signal()
# Sent INSIDE the transaction that writes a decision (`decision`: Decision), and the one that
# takes a decision out of force on appeal (`decision`, its new status): receivers write what
# follows from it (the search policy's delisting) in the same transaction, or fail it.
decision_taken = Signal()
decision_withdrawn = Signal()
