"""Talking avatars: the parts the avatar pipeline (generation/pipelines/avatar.py) puts together.

- ``script``: what a script may contain, checked before anything runs.
- ``tts``: a voice speaks the script and says when each phoneme and word is heard
  (``speech``: what it returns; ``tts_piper``, ``tts_espeak``: its two backends).
- ``visemes``: phonemes -> mouth shapes -> per-frame mouth parameters.
- ``face``: landmarks of the one face in a portrait, or a clear refusal.
- ``animate``: the portrait with a moving mouth, blinks and a little head motion.
- ``captions``: WebVTT / SRT from word timings, and captions burned into frames.
- ``encode``: frames and the voice into an H.264 + AAC MP4.
"""
