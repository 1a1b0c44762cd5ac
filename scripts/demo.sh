#!/usr/bin/env bash
# The demo, run by `make demo` while a throw-away Keycloak is up (started and stopped by
# `python -m reconciler.testing run`, which leaves no Java process behind). KEYCLOAK_URL,
# KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET point at that server; `kcr` is on PATH.
# Add the demo's steps below.
set -euo pipefail

echo "== Keycloak at ${KEYCLOAK_URL}"
kcr --version
