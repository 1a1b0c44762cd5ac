#!/usr/bin/env bash
# The demo, run by `make demo` while a throw-away Keycloak is up (started and stopped by
# `python -m reconciler.testing run`, which leaves no Java process behind). KEYCLOAK_URL,
# KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET point at that server; `kcr` is on PATH.
#
# It does the main job on the shipped example: validate, plan, apply, plan again (No changes.), then
# one token exchange through the realm it configured, and one login through the tenant Contoso's
# corporate identity provider (a stand-in realm on the same Keycloak, scripts/corporate-idp/).
set -euo pipefail
cd "$(dirname "$0")/.."

# The example reads its secrets through ${env:...}. On a throw-away server, the example values of
# desired-state/.env.example will do; variables already set in the environment win. Contoso's IdP is
# the stand-in realm on this very server.
export CONTOSO_IDP_ISSUER="${CONTOSO_IDP_ISSUER:-${KEYCLOAK_URL%/}/realms/contoso-corporate}"
export CONTOSO_EMPLOYEE_PASSWORD="${CONTOSO_EMPLOYEE_PASSWORD:-Contoso-Employee-1}"
while IFS='=' read -r name value; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    if [[ -z "${!name:-}" ]]; then export "$name=$value"; fi
done < desired-state/.env.example

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mkdir -p .keycloak
step "Keycloak at ${KEYCLOAK_URL} ($(kcr --version))"

step "kcr apply scripts/corporate-idp/ --auto-approve   (the stand-in for Contoso's IdP, not the example)"
kcr apply scripts/corporate-idp/ --auto-approve

step "kcr validate desired-state/"
kcr validate desired-state/

step "kcr plan desired-state/"
kcr plan desired-state/ --out .keycloak/demo-plan.json

step "kcr apply desired-state/ --auto-approve"
kcr apply desired-state/ --auto-approve --audit-log .keycloak/demo-audit.jsonl

step "kcr plan desired-state/ --detailed-exitcode   (a second plan: nothing left to do)"
kcr plan desired-state/ --detailed-exitcode

step "Token exchange: acme-demo logs in through enterprise-client, which exchanges for orders-api"
python scripts/demo_token_exchange.py

step "Brokered login: erin@contoso.example.com through Contoso's IdP becomes a managed member of contoso"
python scripts/demo_brokered_login.py

step "Done: the audit log of the apply is .keycloak/demo-audit.jsonl"
