"""Every model, imported in one place so Alembic and create_all see the whole schema."""

from examsite.accounts.models import ApiToken, EndedSession, PasswordReset, RecoveryCode, User
from examsite.accounts.throttle import LoginFailure
from examsite.audit.models import AuditEvent
from examsite.authoring.models import CategoryAssignment, ItemComment, ItemImage
from examsite.banks.models import Blueprint, BlueprintDomain, Domain, Item, ItemVersion, ItemVersionRole
from examsite.catalog.models import Category, ExamSettings, Role
from examsite.certificates.models import Certificate, CertificateNameChange
from examsite.delivery.models import Attempt, AttemptItem, IntegrityEvent, Response
from examsite.instructors.models import ItemAnalysisCache
from examsite.lti.models import (
    LtiAccount,
    LtiContext,
    LtiContextMember,
    LtiDeployment,
    LtiLineItem,
    LtiNonce,
    LtiPlatform,
    LtiScore,
)
from examsite.mail.models import OutboxMessage
from examsite.programs.models import Accommodation, Cohort, Institution, StaffInstitution
from examsite.skills.models import SkillsEvidence
from examsite.standards.models import StandardPanelist, StandardRating, StandardStudy

__all__ = [
    "Accommodation",
    "ApiToken",
    "Attempt",
    "AttemptItem",
    "AuditEvent",
    "Blueprint",
    "BlueprintDomain",
    "Category",
    "CategoryAssignment",
    "Certificate",
    "CertificateNameChange",
    "Cohort",
    "SkillsEvidence",
    "StaffInstitution",
    "Domain",
    "EndedSession",
    "ExamSettings",
    "Institution",
    "IntegrityEvent",
    "LoginFailure",
    "LtiAccount",
    "LtiContext",
    "LtiContextMember",
    "LtiDeployment",
    "LtiLineItem",
    "LtiNonce",
    "LtiPlatform",
    "LtiScore",
    "OutboxMessage",
    "PasswordReset",
    "Item",
    "ItemAnalysisCache",
    "ItemComment",
    "ItemImage",
    "ItemVersion",
    "ItemVersionRole",
    "Response",
    "RecoveryCode",
    "Role",
    "StandardPanelist",
    "StandardRating",
    "StandardStudy",
    "User",
]
