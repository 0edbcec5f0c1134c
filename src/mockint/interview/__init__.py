"""Interviews: the session state machine (``engine``), which question comes next (``choice``), the
SQLite history (``store``) and the session report (``report``)."""
