"""The human-graded interview sets every diagnostic reads, oldest first (the diagnostics run as
scripts from the repository root, so this folder is on their path)."""

INTERVIEW_SETS = [
    "interview-graded",
    "concise-heldout",
    "concise-heldout-2",
    "interview-heldout-3",
    "interview-heldout-4",
    "interview-heldout-5",
    "interview-heldout-6",
    "concise-heldout-7",
]

# The held-out slices 1-9, none of their answers in the judgement model's training data, in the order
# they were written (INTERVIEW_SETS, with our graded set first, stays as the older diagnostics read it).
HELD_OUT_SLICES = INTERVIEW_SETS[1:] + ["concise-heldout-8", "interview-heldout-9"]
