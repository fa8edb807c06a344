"""The component schemas of the OpenAPI document: what the /v2 API answers."""

from __future__ import annotations

from refstack_lite.api.openapi.builders import (
    JSON,
    TIME,
    TIME_OR_NULL,
    nullable,
    obj,
    ref,
    string,
)
from refstack_lite.api.problems import PROBLEM_TYPE


def guideline_schemas() -> JSON:
    summary = {
        "id": string(description="the guideline's name"),
        "family": string(),
        "status": string(description="as the document says: approved, superseded, draft, ..."),
        "schema": string(description="the guideline schema version"),
        "digest": string(pattern="^sha256:[0-9a-f]{64}$"),
        "revision": {"type": "integer", "minimum": 1},
        "accepted": {"type": "boolean", "description": "within the window of guidelines accepted for submissions"},
        "metadata_id": string(),
        "imported_at": TIME,
        "warning_count": {"type": "integer", "minimum": 0},
        "url": string(format="uri-reference"),
    }
    warning = obj({"path": string(), "message": string()}, extensible=True)
    revision = obj(
        {
            "revision": {"type": "integer", "minimum": 1},
            "digest": string(),
            "status": string(),
            "imported_at": TIME,
            "current": {"type": "boolean"},
        }
    )
    flag = obj({"reason": string(), "action": string(), "date": string()}, extensible=True)
    required_test = obj(
        {
            "test": string(),
            "idempotent_id": nullable(string()),
            "aliases": {"type": "array", "items": string()},
            "capabilities": {"type": "array", "items": string()},
            "status": {"enum": ["required", "advisory", "deprecated", "removed"]},
            "flagged": {"type": "boolean"},
            "flag": {"oneOf": [{"type": "null"}, flag]},
        },
        extensible=True,
    )
    tests = {"type": "array", "items": ref("RequiredTest")}
    named = obj({"id": string(), "digest": string()})
    return {
        "GuidelineSummary": obj(summary, extensible=True),
        "GuidelineList": obj(
            {
                "items": {"type": "array", "items": ref("GuidelineSummary")},
                "accepted_window": {"type": "integer", "description": "how many guidelines are accepted"},
            }
        ),
        "Guideline": obj(
            {
                **summary,
                "targets": {"type": "array", "items": string()},
                "releases": {"type": "array", "items": string()},
                "replaces": {"type": ["string", "null"]},
                "add_on_required_components": {"type": "array", "items": string()},
                "warnings": {"type": "array", "items": warning},
                "source": string(description="where the document was imported from"),
                "revisions": {"type": "array", "items": revision},
                "document_url": string(format="uri-reference"),
            },
            extensible=True,
        ),
        "RequiredTest": required_test,
        "GuidelineTests": obj(
            {
                "guideline": string(),
                "digest": string(),
                "revision": {"type": "integer"},
                "target": string(),
                "statuses": {"type": "array", "items": string()},
                "count": {"type": "integer", "minimum": 0},
                "must_pass": {"type": "integer", "minimum": 0},
                "tests": tests,
            },
            extensible=True,
        ),
        "GuidelineDiff": obj(
            {
                "from": named,
                "to": named,
                "target": string(),
                "added": tests,
                "removed": tests,
                "newly_flagged": tests,
                "unflagged": tests,
            },
            extensible=True,
        ),
    }


FOUNDATION_ROLE = {"enum": ["admin", "reviewer", None]}
VENDOR_ROLE = {"enum": ["owner", "member"]}


def identity_schemas() -> JSON:
    user = {"name": string(), "email": string(), "role": FOUNDATION_ROLE, "created_at": TIME}
    token = {
        "id": string(),
        "label": string(),
        "prefix": string(description="the start of the secret, to recognise it"),
        "created_at": TIME,
        "expires_at": TIME_OR_NULL,
        "last_used_at": TIME_OR_NULL,
        "revoked_at": TIME_OR_NULL,
    }
    issued = {**token, "token": string(description="the secret (rlt_...): shown once"), "note": string()}
    my_vendor = obj(
        {
            "id": string(),
            "name": string(),
            "status": ref("VendorStatus"),
            "role": VENDOR_ROLE,
            "accepted": {"type": "boolean", "description": "false while only invited"},
            "url": string(
                format="uri-reference",
                description="the vendor; while only invited, the invitation (POST it to accept)",
            ),
        }
    )
    return {
        "Problem": obj(
            {
                "type": string(format="uri", pattern=f"^{PROBLEM_TYPE}[a-z0-9-]+$"),
                "title": string(),
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": string(),
                "problems": {
                    "type": "array",
                    "description": "every problem with the input (400 only)",
                    "items": obj({"path": string(description="a JSON path, e.g. $.name"), "message": string()}),
                },
            },
            optional=("problems",),
            extensible=True,
        ),
        "User": obj(user),
        "Me": obj({**user, "vendors": {"type": "array", "items": my_vendor}}),
        "NewUserCreated": obj({**user, "token": ref("IssuedToken")}),
        "Token": obj(token),
        "IssuedToken": obj(issued),
        "VendorStatus": {"enum": ["private", "pending", "official"]},
        "Vendor": obj(
            {
                "id": string(),
                "name": string(),
                "description": string(),
                "status": ref("VendorStatus"),
                "url": string(format="uri-reference"),
                "denial_reason": nullable(string()),
                "created_at": TIME,
                "updated_at": TIME,
                "your_role": {"enum": ["owner", "member", None], "description": "the caller's accepted role"},
            },
            # These four come together, for the vendor's members and the foundation.
            optional=("denial_reason", "created_at", "updated_at", "your_role"),
        ),
        "Member": obj(
            {
                "user": string(),
                "email": nullable(string(description="only for the foundation and the member themself")),
                "role": VENDOR_ROLE,
                "status": {"enum": ["member", "invited"]},
                "invited_at": TIME,
                "accepted_at": TIME_OR_NULL,
            }
        ),
        "Product": obj(
            {
                "id": string(),
                "vendor": obj({"id": string(), "name": string()}),
                "name": string(),
                "description": string(),
                "product_type": {"enum": ["distribution", "public_cloud", "hosted_private_cloud"]},
                "public": {"type": "boolean"},
                "created_at": TIME,
                "updated_at": TIME,
                "url": string(format="uri-reference"),
            }
        ),
        "Version": obj(
            {
                "id": string(),
                "product_id": string(),
                "version": string(),
                "created_at": TIME,
                "cpid": {
                    "type": ["string", "null"],
                    "description": "the cloud's id: only for vendor members and the foundation",
                },
            },
            optional=("cpid",),
        ),
        "Challenge": obj(
            {
                "id": string(),
                "vendor_id": string(),
                "nonce": string(description="the value a signed statement carries as its challenge"),
                "issued_at": TIME,
                "expires_at": TIME,
            }
        ),
        "KeyChallenge": obj(
            {
                "challenge_id": string(),
                "vendor_id": string(),
                "fingerprint": string(pattern="^SHA256:"),
                "message": string(contentEncoding="base64", description="the exact bytes to sign, base64"),
                "expires_at": TIME,
            }
        ),
        "Key": obj(
            {
                "id": string(),
                "vendor_id": string(),
                "fingerprint": string(pattern="^SHA256:"),
                "algorithm": string(),
                "bits": {"type": "integer"},
                "public_key": string(description="OpenSSH public key line"),
                "comment": string(),
                "status": {"enum": ["active", "retired", "revoked"]},
                "registered_at": TIME,
                "retired_at": TIME_OR_NULL,
                "revoked_at": TIME_OR_NULL,
                "revocation_reason": nullable(string()),
                "compromised_since": TIME_OR_NULL,
                "url": string(format="uri-reference"),
            }
        ),
        "AuditEvent": obj(
            {
                "id": {"type": "integer"},
                "at": TIME,
                "actor": nullable(string(description="a user's name, or the console's label")),
                "action": string(description="e.g. vendor.create, key.revoke"),
                "subject": obj({"type": string(), "id": string()}),
                "vendor_id": nullable(string()),
                "before": {"type": ["object", "null"]},
                "after": {"type": ["object", "null"]},
            }
        ),
    }


def submission_schemas() -> JSON:
    digest = string(pattern="^sha256:[0-9a-f]{64}$")
    count = {"type": "integer", "minimum": 0}
    outcomes = {
        "required": count,
        "passed": {**count, "description": "passed, flagged or not"},
        "failed": {**count, "description": "not flagged, failed in the run"},
        "skipped": {**count, "description": "not flagged, skipped in the run"},
        "not_run": {
            **count,
            "description": "not flagged, absent from the results (a v1 upload lists only passed tests)",
        },
        "flagged_ignored": {**count, "description": "flagged and did not pass: allowed"},
        "flagged": {**count, "description": "flagged, passed or not"},
    }
    totals = {
        **obj(outcomes),
        "description": "the target's required tests, each counted once (flagged: flagged in every "
        "required capability listing it); eligible only when failed, skipped and not_run are 0",
    }
    totals_per_capability = {
        **obj(outcomes),
        "description": "the same, counted once per required capability listing a test, as RefStack's "
        "report page counts (2020.06 platform: 286 listings of 284 tests)",
    }
    verdict = {
        "guideline": string(description="the guideline's name"),
        "revision": {"type": "integer", "minimum": 1},
        "digest": digest,
        "current": {
            "type": "boolean",
            "description": "true: the verdict against the guideline's current revision; false: history, the "
            "verdict against an earlier revision (a new revision re-evaluates the submission and adds its own)",
        },
        "target": string(),
        "eligible": {"type": "boolean"},
        "reason": string(description="why not eligible; empty when eligible"),
        "totals": totals,
        "totals_per_capability": totals_per_capability,
        "requires_platform": {
            "type": "array",
            "items": string(),
            "description": "platform components an add-on verdict still needs from a platform verdict",
        },
    }
    capability = obj(
        {
            "name": string(),
            "status": {"enum": ["required", "advisory", "deprecated", "removed"]},
            "passed": {"type": "integer", "minimum": 0, "description": "how many of its tests passed"},
            "failed": {"type": "array", "items": string(), "description": "not flagged, failed in the run"},
            "skipped": {"type": "array", "items": string(), "description": "not flagged, skipped in the run"},
            "not_run": {
                "type": "array",
                "items": string(),
                "description": "not flagged, absent from the results (a v1 upload lists only passed tests)",
            },
            "flagged_ignored": {"type": "array", "items": string()},
            "aliases_used": {"type": "object", "additionalProperties": string()},
        }
    )
    receipt = {
        "id": string(),
        "source": {"enum": ["v1", "v2"], "description": "v2: a signed bundle; v1: a RefStack upload"},
        "digest": digest,
        "payload_digest": digest,
        "size": {"type": "integer", "minimum": 0},
        "received_at": TIME,
        "vendor": {"type": ["object", "null"], "properties": {"id": string(), "name": string()}},
        "key": {
            "type": ["object", "null"],
            "properties": {"id": string(), "fingerprint": string(), "status": string()},
        },
        "signature": nullable(string(description="a RefStack upload's X-Signature (members and the foundation)")),
        "guideline": {
            "type": ["object", "null"],
            "properties": {"name": string(), "revision": {"type": "integer"}, "digest": digest},
        },
        "target": nullable(string()),
        "product_version_id": nullable(string()),
        "cpid": nullable(string(description="members and the foundation only")),
        "foreign_cpid": {
            "type": ["boolean", "null"],
            "description": "the foundation only (null to others): true when, as the results came, the cpid "
            "was another vendor's product version's (any vendor's, for an anonymous upload)",
        },
        "challenged": {"type": "boolean", "description": "false for results without a challenge (air-gapped)"},
        "public": {"type": "boolean"},
        "started_at": TIME,
        "finished_at": TIME,
        "counts": obj({name: {"type": "integer", "minimum": 0} for name in ("passed", "failed", "skipped")}),
        "evidence_digest": nullable(digest),
        "verdicts": {"type": "array", "items": obj(verdict)},
        "links": obj({"self": string(), "envelope": string(), "evidence": string()}, optional=("evidence",)),
    }
    detailed_verdict = obj(
        {
            **verdict,
            "capabilities": {"type": "array", "items": capability},
            "undefined_capabilities": {"type": "array", "items": string()},
        }
    )
    listed_verdict = obj(
        {name: verdict[name] for name in ("guideline", "revision", "current", "target", "eligible", "totals")}
    )
    names = {"type": "array", "items": string()}
    return {
        "Submission": obj(receipt),
        "ListedSubmission": {
            **obj({**receipt, "verdicts": {"type": "array", "items": listed_verdict}}),
            "description": "a submission as a list shows it: each verdict's guideline, target, outcome and "
            "totals; its reason, counts per capability and platform requirement are in getSubmission's answer",
        },
        "SubmissionDetail": obj(
            {
                **receipt,
                "verdicts": {"type": "array", "items": detailed_verdict},
                "tests": obj({"passed": names, "failed": names, "skipped": names}),
            }
        ),
        "Evidence": obj(
            {"submission_id": string(), "digest": digest, "size": {"type": "integer"}, "uploaded_at": TIME}
        ),
    }


def certification_schemas() -> JSON:
    guideline = obj(
        {
            "name": string(),
            "status": string(),
            "digest": string(pattern="^sha256:[0-9a-f]{64}$"),
            "revision": {"type": "integer", "minimum": 1},
            "url": string(format="uri-reference"),
        }
    )
    program = {
        "id": string(description="stable: powered-platform, powered-compute, powered-object, dns, orchestration, ..."),
        "name": string(description="the display name, e.g. OpenStack Powered Platform"),
        "family": string(),
        "target": string(),
        "add_on": {"type": "boolean"},
        "required_platform_components": {"type": "array", "items": string()},
        "accepted_window": {"type": "integer", "minimum": 1},
        "accepted": {"type": "array", "items": guideline, "description": "accepted now, newest first"},
        "url": string(format="uri-reference"),
    }
    listed = {**guideline, "properties": {**guideline["properties"], "accepted": {"type": "boolean"}}}
    listed["required"] = [*guideline["required"], "accepted"]
    named = obj({"id": string(), "name": string()})
    check = obj({"name": string(), "passed": {"type": "boolean"}, "detail": string()})
    request = obj(
        {
            "id": string(),
            "state": {"enum": ["pending", "approved", "denied", "withdrawn"]},
            "program": string(),
            "target": string(),
            "vendor": named,
            "product": named,
            "product_version": obj({"id": string(), "version": string()}),
            "guideline": obj({"name": string(), "revision": {"type": "integer"}, "digest": string()}),
            "submission_id": string(),
            "requested_by": nullable(string()),
            "requested_at": TIME,
            "checks": {"type": "array", "items": check},
            "reviewer": nullable(string()),
            "decided_at": TIME_OR_NULL,
            "reason": nullable(string()),
            "withdrawn_at": TIME_OR_NULL,
            "url": string(format="uri-reference"),
            "review": {"type": "object", "description": "the foundation's view: verdict, tests, keys, digests"},
        },
        optional=("review",),
    )
    certification = obj(
        {
            "id": string(),
            "status": {"enum": ["active", "expired", "suspended", "revoked"]},
            "status_since": TIME_OR_NULL,
            "status_reasons": {"type": "array", "items": string()},
            "program": string(),
            "vendor": named,
            "product": named,
            "product_version": obj({"id": string(), "version": string()}),
            "guideline": obj({"name": string(), "digest": string()}),
            "submission": obj({"id": string(), "digest": string()}),
            "signer_fingerprint": string(),
            "request_id": string(),
            "reviewer": nullable(string()),
            "decided_at": TIME,
            "revoked_at": TIME_OR_NULL,
            "revocation_reason": nullable(string()),
            "url": string(format="uri-reference"),
        }
    )
    return {
        "CertificationRequest": request,
        "CertificationRequestList": obj({"items": {"type": "array", "items": ref("CertificationRequest")}}),
        "Certification": certification,
        "CertificationList": obj({"items": {"type": "array", "items": ref("Certification")}}),
        "ProgramSummary": obj(program),
        "ProgramList": obj({"items": {"type": "array", "items": ref("ProgramSummary")}}),
        "Program": obj({**program, "guidelines": {"type": "array", "items": listed}}),
    }
