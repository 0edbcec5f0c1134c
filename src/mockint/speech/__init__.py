"""Voice practice, offline: speech to text with the packaged Whisper base (``model``,
``transcribe``), delivery feedback from the word timestamps (``delivery``), the interviewer's
voice through espeak-ng (``tts``) and the answers' audio kept with their turns (``audio``)."""
