"""Least-privilege access for each lab: the policies in ``policies/`` and the proof they fit.

``for_lab(lab)`` gives what to grant; ``required`` / ``granted`` / ``compare`` check a lab's
policy against the calls its code makes in the recorded scenarios (see ``check``).
"""

from __future__ import annotations

from .check import Gap, Requirements, compare, granted, required
from .labs import IDENTITIES, Declared, Identity, identity
from .summary import IdentityAccess, LabAccess, all_labs, for_lab

__all__ = [
    "IDENTITIES",
    "Declared",
    "Gap",
    "Identity",
    "IdentityAccess",
    "LabAccess",
    "Requirements",
    "all_labs",
    "compare",
    "for_lab",
    "granted",
    "identity",
    "required",
]
