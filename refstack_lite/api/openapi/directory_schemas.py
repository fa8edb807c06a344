"""The component schemas of the public directory's answers (``api.v2_directory``)."""

from __future__ import annotations

from refstack_lite.api.openapi.builders import JSON, TIME, TIME_OR_NULL, nullable, obj, ref, string

STATUS = {"enum": ["active", "expired", "suspended", "revoked"]}
LINK = string(format="uri-reference")


def directory_schemas() -> JSON:
    named = obj({"id": string(), "name": string(), "url": LINK})
    certification = {
        "id": string(),
        "vendor": named,
        "product": named,
        "version": string(),
        "program": obj({"id": string(), "name": string()}),
        "guideline": string(),
        "issued_at": TIME,
        "status": STATUS,
        "status_since": TIME_OR_NULL,
        "status_reasons": {"type": "array", "items": string()},
        "url": LINK,
    }
    names = {"type": "array", "items": string()}
    capability = obj(
        {
            "name": string(),
            "status": string(),
            "passed": {"type": "integer", "minimum": 0},
            "failed": names,
            "skipped": names,
            "not_run": names,
            "flagged": {"type": "array", "items": obj({"test": string(), "reason": string()})},
            "flagged_not_passed": names,
        }
    )
    report = obj(
        {
            "target": string(),
            "eligible": {"type": "boolean"},
            "totals": {"type": "object", "additionalProperties": {"type": "integer"}},
            "capabilities": {"type": "array", "items": capability},
        }
    )
    page_link = {"type": ["string", "null"], "format": "uri-reference"}
    product = obj(
        {
            "id": string(),
            "name": string(),
            "product_type": string(),
            "active_programs": names,
            "url": LINK,
        }
    )
    version = obj(
        {"id": string(), "version": string(), "certifications": {"type": "array", "items": ref("DirectoryEntry")}}
    )
    return {
        "DirectoryEntry": obj(certification),
        "DirectorySearch": obj(
            {
                "items": {"type": "array", "items": ref("DirectoryEntry")},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "total": {"type": "integer", "minimum": 0},
                "pages": {"type": "integer", "minimum": 1},
                "next": page_link,
                "prev": page_link,
            }
        ),
        "DirectoryCertification": obj(
            {
                **certification,
                "target": string(),
                "guideline_digest": string(pattern="^sha256:[0-9a-f]{64}$"),
                "submission_digest": string(pattern="^sha256:[0-9a-f]{64}$"),
                "signer_fingerprint": string(),
                "decided_at": TIME,
                "revoked_at": TIME_OR_NULL,
                "revocation_reason": nullable(string()),
                "report": {"oneOf": [{"type": "null"}, report]},
                "envelope": {
                    "type": ["string", "null"],
                    "format": "uri-reference",
                    "description": "the signed envelope, or null when it names a cloud id (kept private)",
                },
            }
        ),
        "DirectoryVendor": obj(
            {
                "id": string(),
                "name": string(),
                "description": string(),
                "products": {"type": "array", "items": product},
                "url": LINK,
            }
        ),
        "DirectoryProduct": obj(
            {
                "id": string(),
                "name": string(),
                "description": string(),
                "product_type": string(),
                "vendor": named,
                "versions": {"type": "array", "items": version},
                "url": LINK,
            }
        ),
    }
