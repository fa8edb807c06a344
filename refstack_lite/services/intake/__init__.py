"""The intake: how test results enter the server (DESIGN.md §2.5), by either API.

- ``v2_bundle``: a native signed bundle (``POST /v2/submissions``), a DSSE envelope holding an
  in-toto statement, checked in the design's order.
- ``v1_body``: a RefStack upload's body (``POST /v1/results``) as refstack-client sends it, with
  its optional RSA signature header: pure checks, no database.
- ``v1_upload``: a checked RefStack upload given its owner (the signing key's vendor, or the
  anonymous pool) and its evaluation window.
- ``store``: what both paths share once the results are trusted: the duplicate check, the
  challenge, the test names, the exact bytes, the outcomes, the verdicts and the audit event.
"""
