"""Finding questions: sentence embeddings (the packaged MiniLM, through onnxruntime) and the
Chroma index of questions, reference chunks and key points. Grading does not use embeddings."""
