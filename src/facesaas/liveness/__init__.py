"""Liveness: signed image packages (manual 9.1 "大礼包") and the checks run on their images."""
