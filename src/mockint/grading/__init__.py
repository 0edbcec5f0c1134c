"""Grading, in pipeline order: the schema (``schema``), answer hygiene (``hygiene``), the lexical
detectors (``detectors``), the judgement model's verdicts turned into a score (``scoring``), the
guard table (``guards``), the offline grader (``offline``), the LLM judge (``llm_judge``), batch
files (``batch``) and the rubric helpers (``rubric``)."""

from mockint.grading.schema import Grade, Grader, GradingTask, KeyPointResult

__all__ = ["Grade", "Grader", "GradingTask", "KeyPointResult"]
