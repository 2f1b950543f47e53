"""FaceSaaS: a self-hosted face recognition and ID-document service.

The HTTP API follows the FaceSaaS product manual field for field. Subpackages by layer, top
to bottom (each imports only its own layer's allowed neighbours and the layers below;
docs/architecture.md, enforced by tests/test_layering.py):

- ``api`` (HTTP layer) and ``cli`` (the ``facesaas`` command);
- ``evaluation`` (calibration, identification measurements);
- ``sdk`` (Python client);
- the endpoint families, side by side: ``recognition`` (1:1, CS201.1/CS202.2), ``repositories``
  (1:N, 102.1/103.1), ``liveness`` (packages, 101.3), ``documents`` (ID documents, 105.x);
- ``inputs`` (shared request parsing and image limits), ``tenants`` (customers and their keys);
- engines: ``face``, ``vectors``, ``storage``, ``auth``, ``imaging``;
- ground: ``errors``, ``settings``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
