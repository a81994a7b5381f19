#!/bin/sh
# Writes deploy/secrets.env with fresh random shared secrets (see secrets.env.example); leaves an
# existing file alone, since replacing OIDC_KEY_SECRET makes the stored signing keys unreadable.
set -eu
cd "$(dirname "$0")"
if [ -e secrets.env ]; then
  echo "deploy/secrets.env exists already; not replacing it." >&2
  exit 1
fi
secret() { head -c 48 /dev/urandom | base64 | tr -d '\n=+/'; }
umask 077
{
  echo "# Written by deploy/make-secrets.sh: the secrets every instance shares."
  echo "CSRF_SECRET=$(secret)"
  echo "OIDC_KEY_SECRET=$(secret)"
  echo "TWO_STEP_SECRET=$(secret)"
  echo "METRICS_TOKEN=$(secret)"
  echo "WEBHOOK_SECRET=whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
} > secrets.env
echo "Wrote deploy/secrets.env"
