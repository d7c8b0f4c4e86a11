"""Storyboards: scenes from a script, their timeline, cards, music and the assembled video."""
