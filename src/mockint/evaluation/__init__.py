"""Measuring a grader against human grades: the datasets (``datasets``), the protocol
(``protocol``: cross-validation by question, the score mapping's fit), the metrics (``metrics``,
``scores``), the probes (``probes``) and the written reports (``reports``)."""
