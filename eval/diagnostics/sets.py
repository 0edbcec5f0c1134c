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
