"""The provider types of ``components`` that kcr manages, and what differs between them: the tag that
names them in keys and addresses, the write-only config keys, the components Keycloak makes itself.

Components of any other provider type (the user profile, client-registration policies, custom SPIs)
are accepted with a warning and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

USER_STORAGE = "org.keycloak.storage.UserStorageProvider"
KEY_PROVIDER = "org.keycloak.keys.KeyProvider"
LDAP_MAPPER = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper"
MASK = "**********"  # what Keycloak answers for a stored secret


@dataclass(frozen=True)
class ComponentType:
    provider_type: str
    tag: str  # the first segment of a key: "user-storage/corp-ldap"
    # config keys Keycloak never returns in clear: never compared, never shown, never exported
    secrets: frozenset[str] = frozenset()
    # name -> (providerId, config) of the components Keycloak makes in every realm, or with every
    # parent: never pruned, never listed as unmanaged; exported only where they differ from this
    builtins: dict[str, tuple[str, dict[str, list[str]]]] = field(default_factory=dict)
    # names Keycloak gives the children it makes (any config: it depends on the parent's settings)
    builtin_names: frozenset[str] = frozenset()


LDAP_MAPPERS = ComponentType(
    LDAP_MAPPER,
    "mapper",
    # Made by Keycloak with an LDAP provider (which ones depends on its vendor and edit mode).
    builtin_names=frozenset(
        {
            "username",
            "email",
            "first name",
            "last name",
            "creation date",
            "modify date",
            "Kerberos principal attribute mapper",
            "MSAD account controls",
            "MSAD LDS account controls",
        }
    ),
)

TOP_LEVEL: tuple[ComponentType, ...] = (
    ComponentType(
        KEY_PROVIDER,
        "key-provider",
        secrets=frozenset({"privateKey", "secret", "keystorePassword", "keyPassword"}),
        builtins={
            "rsa-generated": ("rsa-generated", {"priority": ["100"]}),
            "rsa-enc-generated": ("rsa-enc-generated", {"priority": ["100"], "algorithm": ["RSA-OAEP"]}),
            "hmac-generated-hs512": ("hmac-generated", {"priority": ["100"], "algorithm": ["HS512"]}),
            "aes-generated": ("aes-generated", {"priority": ["100"]}),
        },
    ),
    ComponentType(USER_STORAGE, "user-storage", secrets=frozenset({"bindCredential"})),
)
# Children kcr manages, by the provider type of their parent.
CHILDREN: dict[str, ComponentType] = {USER_STORAGE: LDAP_MAPPERS}
BY_TAG: dict[str, ComponentType] = {t.tag: t for t in (*TOP_LEVEL, LDAP_MAPPERS)}
BY_PROVIDER_TYPE: dict[str, ComponentType] = {t.provider_type: t for t in TOP_LEVEL}
ALL_SECRETS: frozenset[str] = frozenset(s for t in BY_TAG.values() for s in t.secrets)


def split_key(key: str) -> tuple[ComponentType, str, str | None]:
    """``user-storage/corp`` -> (type, "corp", None); ``user-storage/corp/groups`` -> (the mapper type,
    "groups", "user-storage/corp"): a child's key is its parent's key and its name."""
    parts = key.split("/")
    parent_type = BY_TAG[parts[0]]
    if len(parts) == 2:
        return parent_type, parts[1], None
    return CHILDREN[parent_type.provider_type], parts[2], "/".join(parts[:2])


def is_builtin(key: str, providerId: Any = None) -> bool:
    kind, name, parent = split_key(key)
    if parent is not None:
        return name in kind.builtin_names
    builtin = kind.builtins.get(name)
    return builtin is not None and providerId in (None, builtin[0])
