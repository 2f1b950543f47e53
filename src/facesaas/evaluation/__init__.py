"""Measurement tooling over the engines and families: the calibration table (``facesaas
calibrate``), the tail fit below measurable rates, and identification/1:1 evaluation helpers used
by bench/. Nothing here runs in a request."""
