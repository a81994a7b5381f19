"""Checks of ours that both schemathesis passes run (SCHEMATHESIS_HOOKS=api_checks or signed_in)."""

import schemathesis

# The operations that take a token from a link mailed to someone. No description can say which
# tokens exist: a well-formed one that is unknown, used or expired is 400 INVALID_TOKEN (and a new
# password can still break the policy's lists, 400 WEAK_PASSWORD). schemathesis.toml lets
# positive_data_acceptance take 400 from these three; this check makes sure such a 400 is only ever
# one of those codes, never VALIDATION_FAILED, so a request the description calls valid and the
# validation refuses still fails the run.
REFUSALS_OF_VALID_REQUESTS = {
    "POST /auth/email/verify": {"INVALID_TOKEN"},
    "POST /auth/email/change/cancel": {"INVALID_TOKEN"},
    "POST /auth/password/reset": {"INVALID_TOKEN", "WEAK_PASSWORD"},
}


@schemathesis.check
def valid_token_requests_refused_only_for_their_token(ctx, response, case):
    allowed = REFUSALS_OF_VALID_REQUESTS.get(case.operation.label)
    meta = case.meta
    if allowed is None or response.status_code != 400 or meta is None:
        return None
    if not meta.generation.mode.is_positive:
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
