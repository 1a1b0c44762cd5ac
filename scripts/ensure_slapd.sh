#!/usr/bin/env bash
# OpenLDAP's slapd (and ldap-utils) for the LDAP user-federation tests, which start their own slapd
# (reconciler/testing/ldap.py). Installed with apt-get when missing and this shell may (root, apt);
# otherwise a message says how, and those tests fail with the same hint. Never fails the make target:
# everything else works without slapd.
set -u

if command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ]; then
    exit 0
fi
hint="install the Debian packages slapd and ldap-utils (apt-get install -y slapd ldap-utils as root); until then the LDAP federation tests fail"
if [ "$(id -u)" != "0" ]; then
    echo "note: OpenLDAP's slapd is missing and this is not root: $hint" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: OpenLDAP's slapd is missing and there is no apt-get here: $hint" >&2
    exit 0
fi
echo "Installing OpenLDAP's slapd for the LDAP federation tests (apt-get install slapd ldap-utils)..." >&2
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -q --no-install-recommends slapd ldap-utils >/dev/null; }
if ! install && ! { apt-get update -q >/dev/null && install; }; then
    echo "note: apt-get could not install slapd: $hint" >&2
fi
exit 0
