"""``kcr export``: read a live realm and write it as desired-state YAML, to adopt a realm into git.

The realm is read through the kinds' own ``read`` (GET only), so the export is exactly what ``kcr
plan`` compares against: a plan on the exported files shows no changes. Some kinds read costly parts
only for what the desired state declares (user memberships, organization members, service accounts,
composites of built-in roles); the export reads with ``read_all`` so that they read everything.

What the export leaves out, so that the files hold only what someone decided:

- ids and computed fields (``containerId``, ``path``, ``subGroupCount``, ``access``, timestamps);
- values Keycloak fills in anyway (``defaults.py``, measured on Keycloak 26.7.3);
- built-in objects (clients, roles, client scopes that every realm has), even when they were changed:
  changes to built-ins stay unmanaged. One exception: the composites of ``default-roles-<realm>``
  (what every user gets) are exported when they differ from a new realm's;
- secrets: a client ``secret``, an SMTP ``password``, user ``credentials``. A comment at their place
  shows the line to add (``# secret: ${env:ORDERS_API_CLIENT_SECRET}``); until it is added the secret
  stays as it is in Keycloak. Generated SAML keys are left out without a comment;
- the ownership record (realm attribute ``kcr.managed``).

Service-account users (their role mappings and groups) are client configuration: they are written to
``service-accounts.yaml`` always. People are written to ``users.yaml`` only with ``--include-users``,
and organization ``members`` (usernames) only then, since they must name declared users.

Modules: ``files.py`` reads the realm and arranges the export's files, ``defaults.py`` holds the
values Keycloak fills in anyway, ``yaml_text.py`` writes the YAML with secret hints as comments.
"""
