"""The paths of the OpenAPI document, one function per part of the /v2 API."""

from __future__ import annotations

from refstack_lite.api.openapi.builders import (
    GUIDELINE_NAME,
    JSON,
    KEY_ID,
    NONE,
    OPTIONAL,
    PAGE_PARAMS,
    PRODUCT_ID,
    REQUIRED,
    SUBMISSION_ID,
    TARGET,
    TIME,
    TOKEN_ID,
    USER_NAME,
    VENDOR_ID,
    VERSION_ID,
    json_response,
    no_content,
    operation,
    paginated,
    query_param,
    ref,
    string,
)


def guideline_paths() -> JSON:
    name = [GUIDELINE_NAME]
    return {
        "/v2/guidelines": {
            "get": operation(
                "listGuidelines",
                "guidelines",
                "The current revision of every guideline (not paginated)",
                {"200": json_response("the guidelines", ref("GuidelineList"))},
                security=NONE,
                parameters=[query_param("family", "only guidelines of this family, e.g. dns")],
            )
        },
        "/v2/guidelines/diff": {
            "get": operation(
                "diffGuidelines",
                "guidelines",
                "How the required tests of one target changed between two guidelines",
                {"200": json_response("the changes", ref("GuidelineDiff"))},
                security=NONE,
                errors=(400, 404),
                parameters=[
                    query_param("from", "the older guideline", required=True),
                    query_param("to", "the newer guideline", required=True),
                    TARGET,
                ],
            )
        },
        "/v2/guidelines/{name}": {
            "get": operation(
                "getGuideline",
                "guidelines",
                "One guideline: its current revision, targets and revision history",
                {"200": json_response("the guideline", ref("Guideline"))},
                security=NONE,
                errors=(404,),
                parameters=name,
            )
        },
        "/v2/guidelines/{name}/document": {
            "get": operation(
                "getGuidelineDocument",
                "guidelines",
                "The exact bytes imported, of the current or a given revision",
                {
                    "200": {
                        **json_response("the guideline document as imported", {"type": "object"}),
                        "headers": {
                            "Content-Digest": {
                                "description": "sha-256 of the bytes (RFC 9530)",
                                "schema": string(),
                            }
                        },
                    }
                },
                security=NONE,
                errors=(400, 404),
                parameters=[
                    *name,
                    query_param(
                        "revision", "a revision number (default: the current one)", {"type": "integer", "minimum": 1}
                    ),
                ],
            )
        },
        "/v2/guidelines/{name}/tests": {
            "get": operation(
                "getGuidelineTests",
                "guidelines",
                "The tests of one target with the given capability statuses",
                {"200": json_response("the tests", ref("GuidelineTests"))},
                security=NONE,
                errors=(400, 404),
                parameters=[
                    *name,
                    query_param(
                        "status",
                        "comma-separated capability statuses: required, advisory, deprecated, removed",
                        string(default="required"),
                    ),
                    TARGET,
                ],
            )
        },
    }


def account_paths() -> JSON:
    return {
        "/v2/users/me": {
            "get": operation(
                "getMe",
                "accounts",
                "The caller, with the vendors they belong to or are invited to",
                {"200": json_response("the caller", ref("Me"))},
                security=REQUIRED,
            )
        },
        "/v2/users": {
            "get": operation(
                "listUsers",
                "accounts",
                "Every user, by name (foundation only)",
                {"200": paginated("one page of users", "User")},
                security=REQUIRED,
                errors=(400, 403),
                parameters=PAGE_PARAMS,
            ),
            "post": operation(
                "createUser",
                "accounts",
                "Create a user with a first API token (foundation admin only)",
                {"201": json_response("the user, with its token's secret shown once", ref("NewUserCreated"))},
                security=REQUIRED,
                errors=(403, 409),
                body="NewUser",
            ),
        },
        "/v2/users/{name}/role": {
            "put": operation(
                "setUserRole",
                "accounts",
                "Set or clear a user's foundation role (foundation admin only)",
                {"200": json_response("the user", ref("User"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="RoleChange",
                parameters=[USER_NAME],
                description="409 last-admin when this would leave no foundation admin.",
            )
        },
        "/v2/tokens": {
            "get": operation(
                "listTokens",
                "accounts",
                "The caller's own API tokens (never their secrets)",
                {"200": paginated("one page of tokens", "Token")},
                security=REQUIRED,
                errors=(400,),
                parameters=PAGE_PARAMS,
            ),
            "post": operation(
                "createToken",
                "accounts",
                "Issue an API token to the caller",
                {"201": json_response("the token, with its secret shown once", ref("IssuedToken"))},
                security=REQUIRED,
                body="NewToken",
            ),
        },
        "/v2/tokens/{token_id}": {
            "delete": operation(
                "revokeToken",
                "accounts",
                "Revoke one of the caller's own tokens",
                {"204": no_content("revoked (the token stays listed, with revoked_at)")},
                security=REQUIRED,
                errors=(404,),
                parameters=[TOKEN_ID],
            )
        },
    }


def _vendor_transition(operation_id: str, summary: str, who: str, body: str | None = None) -> JSON:
    return operation(
        operation_id,
        "vendors",
        summary,
        {"200": json_response("the vendor in its new status", ref("Vendor"))},
        security=REQUIRED,
        errors=(403, 404, 409),
        body=body,
        parameters=[VENDOR_ID],
        description=f"{who}. 409 vendor-status when the vendor is not in a status this step starts from.",
    )


def vendor_paths() -> JSON:
    vendor = [VENDOR_ID]
    return {
        "/v2/vendors": {
            "get": operation(
                "listVendors",
                "vendors",
                "The vendors visible to the caller, by name",
                {"200": paginated("one page of vendors", "Vendor")},
                security=OPTIONAL,
                errors=(400,),
                parameters=PAGE_PARAMS,
                description="Official vendors, plus the caller's own (member or invited); every vendor for the foundation.",
            ),
            "post": operation(
                "createVendor",
                "vendors",
                "Create a private vendor; the caller becomes its owner",
                {"201": json_response("the vendor", ref("Vendor"))},
                security=REQUIRED,
                errors=(409,),
                body="NewVendor",
            ),
        },
        "/v2/vendors/{vendor_id}": {
            "get": operation(
                "getVendor",
                "vendors",
                "One vendor",
                {"200": json_response("the vendor", ref("Vendor"))},
                security=OPTIONAL,
                errors=(404,),
                parameters=vendor,
            ),
            "patch": operation(
                "updateVendor",
                "vendors",
                "Rename or describe a vendor (owner or foundation admin)",
                {"200": json_response("the vendor", ref("Vendor"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="VendorChange",
                parameters=vendor,
                description="Renaming an official vendor is for a foundation admin only (403 official-name).",
            ),
            "delete": operation(
                "deleteVendor",
                "vendors",
                "Delete a vendor (owner when not official, or foundation admin)",
                {"204": no_content("deleted")},
                security=REQUIRED,
                errors=(403, 404, 409),
                parameters=vendor,
                description="409 in-use while the vendor has products or signing keys.",
            ),
        },
        "/v2/vendors/{vendor_id}/apply": {
            "post": _vendor_transition("applyVendor", "Ask for official status (private -> pending)", "Vendor members")
        },
        "/v2/vendors/{vendor_id}/withdraw": {
            "post": _vendor_transition(
                "withdrawVendor", "Withdraw an application (pending -> private)", "Vendor members"
            )
        },
        "/v2/vendors/{vendor_id}/approve": {
            "post": _vendor_transition(
                "approveVendor", "Make a vendor official (pending -> official)", "Foundation admins"
            )
        },
        "/v2/vendors/{vendor_id}/deny": {
            "post": _vendor_transition(
                "denyVendor", "Deny an application with a reason (pending -> private)", "Foundation admins", "Denial"
            )
        },
        "/v2/vendors/{vendor_id}/members": {
            "get": operation(
                "listMembers",
                "members",
                "A vendor's members and invitees (members and the foundation)",
                {"200": paginated("one page of members", "Member")},
                security=OPTIONAL,
                errors=(400, 403, 404),
                parameters=[*vendor, *PAGE_PARAMS],
                description="Anonymous callers get 401; other non-members get 403 when the vendor is visible to them, else 404. Emails are shown to the foundation and to each member for themself only.",
            ),
            "post": operation(
                "inviteMember",
                "members",
                "Invite a user (owner or foundation admin); they join by accepting",
                {"201": json_response("the invitation", ref("Member"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="NewMember",
                parameters=vendor,
            ),
        },
        "/v2/vendors/{vendor_id}/members/{name}": {
            "patch": operation(
                "changeMember",
                "members",
                "Change a member's role (owner or foundation admin)",
                {"200": json_response("the membership", ref("Member"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="MemberChange",
                parameters=[*vendor, USER_NAME],
                description="409 last-owner when this would leave the vendor without an owner.",
            ),
            "delete": operation(
                "removeMember",
                "members",
                "Remove a member (owner or foundation admin), or leave / decline an invitation yourself",
                {"204": no_content("removed")},
                security=REQUIRED,
                errors=(403, 404, 409),
                parameters=[*vendor, USER_NAME],
                description="409 last-owner when this would leave the vendor without an owner.",
            ),
        },
        "/v2/vendors/{vendor_id}/invitation": {
            "post": operation(
                "acceptInvitation",
                "members",
                "Accept the caller's invitation to the vendor",
                {"200": json_response("the membership", ref("Member"))},
                security=REQUIRED,
                errors=(404,),
                parameters=vendor,
            )
        },
    }


def product_paths() -> JSON:
    product = [PRODUCT_ID]
    version = [PRODUCT_ID, VERSION_ID]
    return {
        "/v2/products": {
            "get": operation(
                "listProducts",
                "products",
                "The products visible to the caller, by name",
                {"200": paginated("one page of products", "Product")},
                security=OPTIONAL,
                errors=(400,),
                parameters=[query_param("vendor", "only this vendor's products (a vendor id)"), *PAGE_PARAMS],
                description="Public products of official vendors, plus the caller's vendors' own; all for the foundation.",
            )
        },
        "/v2/vendors/{vendor_id}/products": {
            "get": operation(
                "listVendorProducts",
                "products",
                "A vendor's products visible to the caller",
                {"200": paginated("one page of products", "Product")},
                security=OPTIONAL,
                errors=(400, 404),
                parameters=[VENDOR_ID, *PAGE_PARAMS],
            ),
            "post": operation(
                "createProduct",
                "products",
                "Create a product (vendor member or foundation admin)",
                {"201": json_response("the product", ref("Product"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="NewProduct",
                parameters=[VENDOR_ID],
                description="public: true only for an official vendor (409 vendor-not-official).",
            ),
        },
        "/v2/products/{product_id}": {
            "get": operation(
                "getProduct",
                "products",
                "One product",
                {"200": json_response("the product", ref("Product"))},
                security=OPTIONAL,
                errors=(404,),
                parameters=product,
            ),
            "patch": operation(
                "updateProduct",
                "products",
                "Change a product (vendor member or foundation admin)",
                {"200": json_response("the product", ref("Product"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="ProductChange",
                parameters=product,
            ),
            "delete": operation(
                "deleteProduct",
                "products",
                "Delete a product and its versions (vendor member or foundation admin)",
                {"204": no_content("deleted")},
                security=REQUIRED,
                errors=(403, 404, 409),
                parameters=product,
            ),
        },
        "/v2/products/{product_id}/versions": {
            "get": operation(
                "listVersions",
                "products",
                "A product's versions, by version",
                {"200": paginated("one page of versions", "Version")},
                security=OPTIONAL,
                errors=(400, 404),
                parameters=[*product, *PAGE_PARAMS],
            ),
            "post": operation(
                "createVersion",
                "products",
                "Add a version (vendor member or foundation admin)",
                {"201": json_response("the version", ref("Version"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="NewVersion",
                parameters=product,
            ),
        },
        "/v2/products/{product_id}/versions/{version_id}": {
            "get": operation(
                "getVersion",
                "products",
                "One version of the product",
                {"200": json_response("the version", ref("Version"))},
                security=OPTIONAL,
                errors=(404,),
                parameters=version,
            ),
            "patch": operation(
                "updateVersion",
                "products",
                "Change a version (vendor member or foundation admin)",
                {"200": json_response("the version", ref("Version"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="VersionChange",
                parameters=version,
            ),
            "delete": operation(
                "deleteVersion",
                "products",
                "Delete a version (vendor member or foundation admin)",
                {"204": no_content("deleted")},
                security=REQUIRED,
                errors=(403, 404, 409),
                parameters=version,
            ),
        },
    }


def key_paths() -> JSON:
    vendor = [VENDOR_ID]
    key = [VENDOR_ID, KEY_ID]
    return {
        "/v2/vendors/{vendor_id}/keys/challenges": {
            "post": operation(
                "createKeyChallenge",
                "keys",
                "Step 1 of registering a key: the exact bytes it must sign (vendor members, not admins)",
                {"201": json_response("the challenge, valid for 15 minutes", ref("KeyChallenge"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="KeyChallengeRequest",
                parameters=vendor,
            )
        },
        "/v2/vendors/{vendor_id}/keys": {
            "get": operation(
                "listKeys",
                "keys",
                "A vendor's signing keys (members and the foundation)",
                {"200": paginated("one page of keys", "Key")},
                security=OPTIONAL,
                errors=(400, 403, 404),
                parameters=[*vendor, *PAGE_PARAMS],
            ),
            "post": operation(
                "registerKey",
                "keys",
                "Step 2: register the key with its signature over the challenge message (vendor members, not admins)",
                {"201": json_response("the key", ref("Key"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="NewKey",
                parameters=vendor,
                description="400 slugs: key-refused, challenge-invalid, challenge-used, challenge-expired, bad-signature.",
            ),
        },
        "/v2/vendors/{vendor_id}/keys/{key_id}": {
            "get": operation(
                "getKey",
                "keys",
                "One signing key (members and the foundation)",
                {"200": json_response("the key", ref("Key"))},
                security=OPTIONAL,
                errors=(403, 404),
                parameters=key,
            )
        },
        "/v2/vendors/{vendor_id}/keys/{key_id}/retire": {
            "post": operation(
                "retireKey",
                "keys",
                "Retire a key: it signs nothing new (vendor member or foundation admin)",
                {"200": json_response("the key", ref("Key"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                parameters=key,
            )
        },
        "/v2/vendors/{vendor_id}/keys/{key_id}/revoke": {
            "post": operation(
                "revokeKey",
                "keys",
                "Revoke a key, optionally from when it was compromised (vendor member or foundation admin)",
                {"200": json_response("the key", ref("Key"))},
                security=REQUIRED,
                errors=(403, 404, 409),
                body="Revocation",
                parameters=key,
            )
        },
    }


def submission_paths() -> JSON:
    return {
        "/v2/challenges": {
            "post": operation(
                "createChallenge",
                "submissions",
                "A single-use nonce for the next signed test run of a vendor (its members only)",
                {
                    "201": json_response(
                        "the challenge, valid for REFSTACK_LITE_CHALLENGE_HOURS (72 h)", ref("Challenge")
                    )
                },
                security=REQUIRED,
                errors=(403, 404, 409),
                body="NewChallenge",
                description="Without vendor_id, the caller's only vendor; several or none is a 400.",
            )
        },
        "/v2/submissions": {
            "post": _with_body(
                operation(
                    "createSubmission",
                    "submissions",
                    "Submit a signed bundle (a DSSE envelope); the answer is its receipt with every verdict",
                    {"201": json_response("the receipt", ref("Submission"))},
                    security=REQUIRED,
                    errors=(400, 403, 409, 413, 415),
                    description=(
                        "The body is the envelope exactly as signed (schemas/dsse-envelope.v1.schema.json), "
                        "plain or with Content-Encoding: gzip, at most REFSTACK_LITE_MAX_UPLOAD_MB. "
                        "400 slugs: malformed-json, envelope-schema, payload-type, bad-base64, bad-signature, "
                        "malformed-payload, statement-schema, unknown-guideline, unknown-target, "
                        "unknown-product-version, cpid-mismatch, challenge-required, challenge-unknown, "
                        "challenge-expired, started-before-challenge, finished-in-future, bad-gzip. "
                        "403 slugs: unknown-key, key-retired, key-revoked, key-compromised. "
                        "409 slugs: duplicate (with 'existing', the stored submission's id), challenge-used."
                    ),
                ),
                "application/json",
                {"type": "object", "description": "a DSSE envelope (schemas/dsse-envelope.v1.schema.json)"},
            ),
            "get": operation(
                "listSubmissions",
                "submissions",
                "Submissions, newest first: the caller's vendors' (the foundation: all)",
                {"200": paginated("one page of submissions", "Submission")},
                security=REQUIRED,
                errors=(400,),
                parameters=[
                    query_param("vendor_id", "only this vendor's"),
                    query_param("product_version_id", "only those naming this product version"),
                    query_param("guideline", "only those with a verdict for this guideline (a name)"),
                    query_param("target", "only those with a verdict for this target"),
                    query_param(
                        "verdict",
                        "with guideline/target: only eligible or ineligible verdicts",
                        {"enum": ["eligible", "ineligible"]},
                    ),
                    query_param("source", "v2 (signed bundles) or v1 (RefStack uploads)", {"enum": ["v1", "v2"]}),
                    query_param("received_after", "received at or after (RFC 3339 with offset)", TIME),
                    query_param("received_before", "received before (RFC 3339 with offset)", TIME),
                    *PAGE_PARAMS,
                ],
            ),
        },
        "/v2/submissions/{submission_id}": {
            "get": operation(
                "getSubmission",
                "submissions",
                "One submission: the receipt, each verdict's per-capability report and every test by outcome",
                {"200": json_response("the submission", ref("SubmissionDetail"))},
                security=OPTIONAL,
                errors=(404,),
                parameters=[SUBMISSION_ID],
            )
        },
        "/v2/submissions/{submission_id}/envelope": {
            "get": operation(
                "getSubmissionEnvelope",
                "submissions",
                "The exact bytes received (for RefStack uploads, the body; X-Signature carries the signature)",
                {
                    "200": {
                        "description": "the bytes as received",
                        "content": {
                            "application/vnd.dsse.envelope.v1+json": {"schema": {"type": "object"}},
                            "application/json": {"schema": {"type": "object"}},
                        },
                    }
                },
                security=OPTIONAL,
                errors=(404,),
                parameters=[SUBMISSION_ID],
            )
        },
        "/v2/submissions/{submission_id}/evidence": {
            "put": _with_body(
                operation(
                    "putSubmissionEvidence",
                    "submissions",
                    "Attach the raw subunit stream whose SHA-256 the statement names (vendor members)",
                    {
                        "201": json_response("stored", ref("Evidence")),
                        "200": json_response("the same stream was stored already", ref("Evidence")),
                    },
                    security=REQUIRED,
                    errors=(400, 403, 404, 409, 413, 415),
                    parameters=[SUBMISSION_ID],
                    description="400 slugs: evidence-mismatch, bad-gzip. 409: no-evidence-expected.",
                ),
                "application/octet-stream",
                {"type": "string", "contentMediaType": "application/vnd.subunit.v2"},
            ),
            "get": operation(
                "getSubmissionEvidence",
                "submissions",
                "The subunit stream (the vendor's members and the foundation)",
                {
                    "200": {
                        "description": "the stream as uploaded: subunit v2, or octet-stream for a subunit v1 stream",
                        "content": {
                            "application/vnd.subunit.v2": {"schema": {"type": "string"}},
                            "application/octet-stream": {"schema": {"type": "string"}},
                        },
                    }
                },
                security=REQUIRED,
                errors=(403, 404),
                parameters=[SUBMISSION_ID],
            ),
        },
    }


def _with_body(op: JSON, media_type: str, schema: JSON) -> JSON:
    """``op`` with a request body that is not one of ``bodies.SCHEMAS`` (an envelope, a stream)."""
    return {**op, "requestBody": {"required": True, "content": {media_type: {"schema": schema}}}}


def audit_paths() -> JSON:
    return {
        "/v2/audit": {
            "get": operation(
                "listAuditEvents",
                "audit",
                "The audit trail, newest first (foundation only)",
                {"200": paginated("one page of events", "AuditEvent")},
                security=REQUIRED,
                errors=(400, 403),
                parameters=[
                    query_param("vendor", "only events of this vendor (a vendor id)"),
                    query_param("action", "an action (key.revoke), or a prefix ending in '.' (key.)"),
                    query_param("subject", "only events about this subject id"),
                    query_param("since", "events at or after this time (RFC 3339 with offset)", TIME),
                    query_param("until", "events before this time (RFC 3339 with offset)", TIME),
                    *PAGE_PARAMS,
                ],
            )
        }
    }


def meta_paths() -> JSON:
    return {
        "/v2/openapi.json": {
            "get": operation(
                "getOpenApi",
                "meta",
                "This document",
                {"200": json_response("the OpenAPI 3.1 document", {"type": "object"})},
                security=NONE,
            )
        }
    }


# --- response body schemas --------------------------------------------------------------------
