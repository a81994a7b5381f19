"""The signed-in pass: every request carries the session cookie of the test run's admin.

When a request ends that session (POST /auth/logout, DELETE /me/sessions/{id}, an admin revoking
its own sessions …), the next 401 makes schemathesis fetch a new cookie and send the request again.
Should the admin no longer be able to sign in (the run may change its email, or disable it once it
made another admin), a fresh account is registered instead, and the run goes on as that user.
"""

import json
import os
import uuid

import requests
import schemathesis

import api_checks  # noqa: F401  (the checks of both passes)

BASE_URL = os.environ["API_TEST_URL"]
COOKIE = os.environ["API_TEST_COOKIE"]
ADMIN = {"login": os.environ["API_TEST_ADMIN_EMAIL"], "password": os.environ["API_TEST_ADMIN_PASSWORD"]}


def fresh_account():
    return {
        "email": f"st-{uuid.uuid4().hex}@example.com",
        "password": f"{uuid.uuid4()} {uuid.uuid4()}",
        "data": json.loads(os.environ["API_TEST_ACCOUNT_DATA"]),
    }


@schemathesis.auth()
class SessionCookie:
    def get(self, case, ctx):
        response = requests.post(f"{BASE_URL}/auth/login", json=ADMIN, timeout=60)
        if response.status_code != 200:
            response = requests.post(f"{BASE_URL}/auth/register", json=fresh_account(), timeout=60)
        response.raise_for_status()
        return response.cookies[COOKIE]

    def set(self, case, data, ctx):
        case.cookies = {**(case.cookies or {}), COOKIE: data}
