"""Interviews: the session state machine (``engine``) and its grading part (``marking``), the
candidate's moves and the setup (``moves``), which question and follow-up come next (``choice``),
the interviewer's words (``voice``), spaced repetition (``schedule``), the SQLite history
(``store``, ``records``), the session report (``report``) and its export (``export``)."""
