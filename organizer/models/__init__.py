"""All models, imported here so Alembic and the app see one metadata."""

from organizer.models.audit import AccessEntry, AccessKind, ExportRecord
from organizer.models.campaign import Campaign, Membership, Role
from organizer.models.checkin import CheckIn, CheckInAction, CrowdCountEntry, DoorLink
from organizer.models.coverage import Coverage, CoverageRelation, EventCoverage
from organizer.models.event import Audience, EmailPolicy, Event, EventStatus, Question, QuestionKind, Visibility
from organizer.models.invitation import Invitation
from organizer.models.message import Message, Segment
from organizer.models.outbox import MailQuota, OutboxMessage, OutboxStatus
from organizer.models.referral import ReferralCode
from organizer.models.rsvp import Answer, Rsvp, RsvpSource, RsvpStatus, RsvpTally
from organizer.models.slug import SlugRedirect
from organizer.models.unsubscribe import MailUnsubscribe
from organizer.models.user import PasswordResetToken, RecoveryCode, SignupRequest, User

__all__ = [
    "AccessEntry",
    "AccessKind",
    "Answer",
    "Audience",
    "Campaign",
    "CheckIn",
    "CheckInAction",
    "Coverage",
    "CoverageRelation",
    "CrowdCountEntry",
    "DoorLink",
    "EmailPolicy",
    "Event",
    "EventCoverage",
    "EventStatus",
    "ExportRecord",
    "Invitation",
    "MailQuota",
    "MailUnsubscribe",
    "Membership",
    "Message",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordResetToken",
    "Question",
    "QuestionKind",
    "RecoveryCode",
    "ReferralCode",
    "Role",
    "Rsvp",
    "RsvpSource",
    "RsvpStatus",
    "RsvpTally",
    "Segment",
    "SignupRequest",
    "SlugRedirect",
    "User",
    "Visibility",
]
