"""FaceSaaS: a self-hosted face recognition and ID-document service.

The HTTP API follows the FaceSaaS product manual field for field. Subpackages:
``api`` (HTTP layer), ``auth`` (signatures, keys, replay), ``tenants`` (customers),
``face`` (engine), ``recognition`` (the 1:1 endpoints' semantics), ``storage`` (database),
``sdk`` (Python client), ``cli`` (the ``facesaas`` command), ``evaluation`` (calibration).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
