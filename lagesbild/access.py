"""Who may do what: the three roles, and how an identity provider's claims map onto them.

A role includes every role before it in ``ROLES``: an analytiker may do all a läsare may, a
förvaltare all an analytiker may. The mapping is a YAML file (``LAGESBILD_ROLLER``)::

    gruppclaim: groups          # the claim that lists the user's groups (Entra ID: groups)
    roller:
      forvaltare:
        epost: [anna.andersson@kommun.se]
      analytiker:
        grupper: [9b1c2d3e-0000-4000-8000-000000000001]
      lasare:
        epost: ["*@kommun.se"]  # shell-style patterns, case-insensitive

A user gets the highest role any rule gives, and no role when none matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

from lagesbild.errors import ConfigError

ROLES = ("lasare", "analytiker", "forvaltare")
LABELS = {"lasare": "läsare", "analytiker": "analytiker", "forvaltare": "förvaltare"}
_KEYS = {"epost", "grupper"}


def allows(role: str | None, needed: str) -> bool:
    """Whether *role* may do what *needed* may (roles include the ones before them)."""
    return role is not None and ROLES.index(role) >= ROLES.index(needed)


def email_of(claims: Mapping) -> str | None:
    """The user's e-mail address: ``email``, or Entra ID's ``preferred_username`` (the UPN)."""
    for key in ("email", "preferred_username", "upn"):
        value = claims.get(key)
        if isinstance(value, str) and "@" in value:
            return value.strip().lower()
    return None


@dataclass(frozen=True)
class Rule:
    role: str
    emails: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    def matches(self, email: str | None, groups: set[str]) -> bool:
        if email and any(fnmatchcase(email, pattern) for pattern in self.emails):
            return True
        return bool(groups.intersection(self.groups))


@dataclass(frozen=True)
class RoleMap:
    rules: tuple[Rule, ...] = ()
    group_claim: str = "groups"

    def role_for(self, claims: Mapping) -> str | None:
        """The highest role the claims give, or None."""
        # An address the provider says it has not verified proves nothing.
        email = None if claims.get("email_verified") is False else email_of(claims)
        raw = claims.get(self.group_claim) or []
        groups = {raw} if isinstance(raw, str) else {str(g) for g in raw}
        found = [r.role for r in self.rules if r.matches(email, groups)]
        return max(found, key=ROLES.index) if found else None


def _strings(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ConfigError(f"{where} ska vara en lista med texter.")
    return tuple(str(v).strip() for v in value)


def load_roles(path: Path) -> RoleMap:
    """Read and check the role mapping; a missing or malformed file is a Swedish ConfigError."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"Rollfilen {path} finns inte. Skapa den (se README: Roles) "
                          "eller peka LAGESBILD_ROLLER på den.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"Rollfilen {path.name} är inte giltig YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("roller") or {}, dict):
        raise ConfigError(f"Rollfilen {path.name} ska ha nyckeln ”roller” med en rad per roll.")
    rules = []
    for role, spec in (raw.get("roller") or {}).items():
        if role not in ROLES:
            raise ConfigError(f"Rollfilen {path.name} nämner okänd roll ”{role}”. Möjliga: "
                              f"{', '.join(ROLES)}.")
        spec = spec or {}
        if not isinstance(spec, dict) or set(spec) - _KEYS:
            raise ConfigError(f"Rollen ”{role}” i {path.name} får bara ha ”epost” och "
                              "”grupper”.")
        emails = tuple(e.lower() for e in _strings(spec.get("epost"), f"{role}.epost"))
        rules.append(Rule(role, emails, _strings(spec.get("grupper"), f"{role}.grupper")))
    claim = raw.get("gruppclaim", "groups")
    if not isinstance(claim, str) or not claim:
        raise ConfigError(f"”gruppclaim” i {path.name} ska vara namnet på en claim.")
    return RoleMap(tuple(rules), claim)
