"""Checks of ours that both schemathesis passes run (SCHEMATHESIS_HOOKS=api_checks or signed_in)."""

import schemathesis

# The operations that take a token from a link mailed to someone. No description can say which
# tokens exist: a well-formed one that is unknown, used or expired is 400 INVALID_TOKEN (and a new
# password can still break the policy's lists, 400 WEAK_PASSWORD). schemathesis.toml lets
# positive_data_acceptance take 400 from these three; this check makes sure such a 400 is only ever
# one of those codes, never VALIDATION_FAILED, so a request the description calls valid and the
# validation refuses still fails the run.
#
# The same holds for a passkey's registration response: no description can say which one an
# authenticator would make for options given out, so any other is 400 PASSKEY_REJECTED.
REFUSALS_OF_VALID_REQUESTS = {
    "POST /auth/email/verify": {"INVALID_TOKEN"},
    "POST /auth/email/change/cancel": {"INVALID_TOKEN"},
    "POST /auth/password/reset": {"INVALID_TOKEN", "WEAK_PASSWORD"},
    "POST /auth/register/passkey": {"PASSKEY_REJECTED"},
    "POST /me/passkeys": {"PASSKEY_REJECTED"},
    "POST /auth/passkey": set(),
}

# The body guard refuses a key named __proto__ anywhere (prototype pollution) with 400
# VALIDATION_FAILED naming it; a free-form object (a WebAuthn response) may be generated with one.
def _refused_proto_key(response):
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return error.get("code") == "VALIDATION_FAILED" and "__proto__" in str(error.get("field"))


# Bodies that carry one proof at a time, which OpenAPI 3.0's description cannot say of optional
# fields: 400 VALIDATION_FAILED is right exactly when two of a pair come together, or none of the
# proofs the operation needs is given (the test account has a password and no two-step sign-in,
# so a code alone does not confirm it).
EXCLUSIVE_PAIRS = {
    "POST /auth/second-factor": [("code", "recoveryCode")],
    "POST /auth/reauthenticate": [
        ("code", "recoveryCode"),
        ("passkey", "password"),
        ("passkey", "code"),
        ("passkey", "recoveryCode"),
    ],
}
NEEDS_ONE_OF = {
    "POST /auth/second-factor": ("code", "recoveryCode"),
    "POST /auth/reauthenticate": ("password", "passkey"),
}


def _refused_for_its_fields(label, body):
    if not isinstance(body, dict):
        body = {}  # no body at all: nothing given
    given = {name for name, value in body.items() if value is not None}
    if any(a in given and b in given for a, b in EXCLUSIVE_PAIRS.get(label, [])):
        return True
    return not given.intersection(NEEDS_ONE_OF.get(label, ()))


@schemathesis.check
def valid_token_requests_refused_only_for_their_token(ctx, response, case):
    label = case.operation.label
    allowed = REFUSALS_OF_VALID_REQUESTS.get(label, set())
    if label in EXCLUSIVE_PAIRS and _refused_for_its_fields(label, case.body):
        allowed = allowed | {"VALIDATION_FAILED"}
    meta = case.meta
    if label not in REFUSALS_OF_VALID_REQUESTS and label not in EXCLUSIVE_PAIRS:
        return None
    if response.status_code != 400 or meta is None:
        return None
    if not meta.generation.mode.is_positive or _refused_proto_key(response):
        return None
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    if code not in allowed:
        raise AssertionError(
            f"A request valid by the description was refused with 400 {code}; "
            f"only {', '.join(sorted(allowed))} may refuse one here"
        )
    return None
