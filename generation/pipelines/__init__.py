"""One pipeline per mode, each a single ``generate`` that reads top to bottom."""
