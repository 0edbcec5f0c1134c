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

# The slices written and graded after the judgement model was trained, none of them in its data, in
# the order they were written (slices 1-9; INTERVIEW_SETS stays as the older diagnostics read it).
HELD_OUT_SLICES = [
    "concise-heldout",
    "concise-heldout-2",
    "interview-heldout-3",
    "interview-heldout-4",
    "interview-heldout-5",
    "interview-heldout-6",
    "concise-heldout-7",
    "concise-heldout-8",
    "interview-heldout-9",
]
