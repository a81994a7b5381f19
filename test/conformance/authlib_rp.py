"""A relying party on Authlib (https://authlib.org), which this project did not write.

It signs the person of a browser session in through the provider: discovery, the authorization
code flow with PKCE (S256), a nonce and a state, the code redeemed with client_secret_basic, the
ID token verified by Authlib (signature against the published keys, iss, aud, exp, iat, nonce),
and userinfo. The browser's part is done here too: a requests session holding the person's
session cookie follows the provider's redirects until they reach the redirect_uri.

Input (environment): ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SESSION_COOKIE (name=value).
Output: one JSON object on stdout, {"id_token": {claims}, "userinfo": {claims}}; an error exits 1.
"""

import json
import os
import sys
from urllib.parse import urljoin

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken


def follow(browser: requests.Session, url: str, redirect_uri: str) -> str:
    """The browser's redirects, until one goes to the app's redirect_uri."""
    for _ in range(10):
        if url.startswith(redirect_uri):
            return url
        response = browser.get(url, allow_redirects=False, timeout=10)
        location = response.headers.get("Location")
        if location is None:
            raise SystemExit(f"{response.status_code} at {url} without a redirect")
        url = urljoin(url, location)
    raise SystemExit("more than 10 redirects")


def main() -> None:
    issuer = os.environ["ISSUER"]
    redirect_uri = os.environ["REDIRECT_URI"]
    client_id = os.environ["CLIENT_ID"]
    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    if metadata["issuer"] != issuer:
        raise SystemExit(f"issuer {metadata['issuer']} is not {issuer}")

    app = OAuth2Session(
        client_id,
        os.environ["CLIENT_SECRET"],
        scope="openid email profile",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = app.create_authorization_url(
        metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier
    )

    browser = requests.Session()
    name, _, value = os.environ["SESSION_COOKIE"].partition("=")
    # Any domain: Python's cookie jar would not match a cookie set for "localhost" by name.
    browser.cookies.set(name, value)
    callback = follow(browser, url, redirect_uri)

    token = app.fetch_token(
        metadata["token_endpoint"],
        authorization_response=callback,
        state=state,
        code_verifier=verifier,
    )
    keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": issuer}},
        claims_params={"nonce": nonce, "client_id": client_id},
    )
    claims.validate()
    userinfo = app.get(metadata["userinfo_endpoint"], timeout=10).json()
    json.dump({"id_token": dict(claims), "userinfo": userinfo}, sys.stdout)


if __name__ == "__main__":
    main()
