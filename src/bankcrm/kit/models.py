"""Import every feature's models so metadata (and Alembic) sees all tables."""

from bankcrm.analytics.models import (
    AnalyticsResult,
    CustomerScore,
    Offer,
    ScoreRun,
    TierChange,
)
from bankcrm.customers.models import Customer, CustomerRelationship
from bankcrm.customers.privacy_models import ConsentChange, ErasureRequest
from bankcrm.duplicates.models import DuplicateCandidate, RecordMerge
from bankcrm.ingest.models import ImportBatch, QuarantinedRow, RecordHistory
from bankcrm.interactions.models import ChannelEvent, Interaction, Task
from bankcrm.kit.db import Base
from bankcrm.lake.models import LakeFile
from bankcrm.marketing.models import Campaign, CampaignMember
from bankcrm.opportunities.models import Opportunity, OpportunityStageChange, OpportunityTask
from bankcrm.products.models import Holding, Product, StandingOrder
from bankcrm.prospects.models import Prospect, ProspectActivity
from bankcrm.referrals.models import Referral, ReferralRoute
from bankcrm.security.models import AccessToken, AuditEvent, BreakGlassGrant, LoginAttempt, User
from bankcrm.service_desk.models import Case, CaseSurvey
from bankcrm.staff.models import (
    Branch,
    ChurnWatch,
    PortfolioTransfer,
    PortfolioTransferItem,
    Staff,
)

__all__ = [
    "AccessToken",
    "AnalyticsResult",
    "AuditEvent",
    "Base",
    "Branch",
    "BreakGlassGrant",
    "Campaign",
    "CampaignMember",
    "Case",
    "CaseSurvey",
    "ChannelEvent",
    "ChurnWatch",
    "ConsentChange",
    "Customer",
    "CustomerRelationship",
    "CustomerScore",
    "DuplicateCandidate",
    "ErasureRequest",
    "Holding",
    "ImportBatch",
    "Interaction",
    "LakeFile",
    "LoginAttempt",
    "Offer",
    "Opportunity",
    "OpportunityStageChange",
    "OpportunityTask",
    "PortfolioTransfer",
    "PortfolioTransferItem",
    "Product",
    "Prospect",
    "ProspectActivity",
    "QuarantinedRow",
    "RecordHistory",
    "RecordMerge",
    "Referral",
    "ReferralRoute",
    "ScoreRun",
    "Staff",
    "StandingOrder",
    "Task",
    "TierChange",
    "User",
]
