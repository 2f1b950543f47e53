"""Image measurements shared by more than one endpoint family (documents and liveness)."""

from facesaas.imaging.grid import CENTRE_FRACTION, centre, check_bgr, grid_peak

__all__ = ["CENTRE_FRACTION", "centre", "check_bgr", "grid_peak"]
