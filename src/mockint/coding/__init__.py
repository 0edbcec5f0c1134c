"""The coding round: problems with tests (``problems``), run in a locked-down process
(``sandbox``, which executes ``runner``), graded on tests passed, speed against the reference and
the explanation (``grade``)."""
