"""Each lab's least-privilege access as data: files, permissions, roles, how to apply them.

``for_lab("6.2")`` is what the syllabus shows for a lab: per identity the policy files, the
actions or permissions they grant, the predefined roles to grant instead (Google Cloud), the
placeholders to fill in, the code paths granted for although no scenario takes them, and the
commands that apply it all; and which of the workshop's broad roles it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..coursework import project
from . import check, labs, policies
from .labs import Declared, Identity
from .policies import RoleGrant


@dataclass(frozen=True)
class IdentityAccess:
    """What one identity of a lab is granted, and how to grant it."""

    id: str
    title: str
    cloud: str
    files: tuple[str, ...]
    permissions: tuple[str, ...]
    roles: tuple[RoleGrant, ...]
    placeholders: tuple[str, ...]
    declared: tuple[Declared, ...]
    apply: tuple[str, ...]


@dataclass(frozen=True)
class LabAccess:
    """A lab's identities and the workshop roles they replace."""

    lab: str
    identities: tuple[IdentityAccess, ...]
    replaces: tuple[str, ...]

    @property
    def permissions(self) -> tuple[str, ...]:
        """Every action or permission the lab's identities are granted."""
        return tuple(sorted({p for i in self.identities for p in i.permissions}))


def for_lab(lab: str, root: Path | None = None) -> LabAccess:
    """The least-privilege access of lab ``6.1``, ``6.2``, ``6.4`` or ``6.5``."""
    root = root or project.find_root()
    return LabAccess(
        lab=lab,
        identities=tuple(_identity_access(spec, root) for spec in labs.identities_of(lab)),
        replaces=labs.WORKSHOP_ROLES[lab],
    )


def all_labs(root: Path | None = None) -> tuple[LabAccess, ...]:
    """``for_lab`` of every lab that reaches a cloud."""
    return tuple(for_lab(lab, root) for lab in labs.LABS)


def _identity_access(spec: Identity, root: Path) -> IdentityAccess:
    text = "".join((root / name).read_text() for name in spec.files)
    roles = ()
    if spec.grants:
        roles = tuple(policies.grants(policies.load_yaml(root / spec.grants)))
    return IdentityAccess(
        id=spec.id,
        title=spec.title,
        cloud=spec.cloud,
        files=spec.files,
        permissions=tuple(sorted(check.granted(spec.id, root))),
        roles=roles,
        placeholders=tuple(policies.placeholders(text)),
        declared=spec.declared,
        apply=_commands(spec),
    )


def _commands(spec: Identity) -> tuple[str, ...]:
    name = "mlops-labs-" + spec.id.replace(".", "-")
    rendered = Path(spec.policy).name.replace(".json", ".rendered.json")
    fill = f"python -m mlops_labs.access.render {spec.policy} NAME=VALUE ... > {rendered}"
    if spec.cloud == "gcp":
        role_id = "mlopsLab" + spec.lab.replace(".", "")
        return (
            f"gcloud iam roles create {role_id} --project=PROJECT_ID --file={spec.policy}",
            "gcloud projects add-iam-policy-binding PROJECT_ID "
            f"--member=serviceAccount:SERVICE_ACCOUNT --role=projects/PROJECT_ID/roles/{role_id}",
        )
    if spec.trust:
        return (
            fill,
            f"aws iam create-role --role-name {name} "
            f"--assume-role-policy-document file://{spec.trust}",
            f"aws iam put-role-policy --role-name {name} --policy-name {name} "
            f"--policy-document file://{rendered}",
            "aws redshift modify-cluster-iam-roles --cluster-identifier CLUSTER "
            f"--add-iam-roles arn:aws:iam::ACCOUNT:role/{name}",
        )
    return (
        fill,
        f"aws iam create-policy --policy-name {name} --policy-document file://{rendered}",
        f"aws iam attach-role-policy --role-name ROLE "
        f"--policy-arn arn:aws:iam::ACCOUNT:policy/{name}",
    )
