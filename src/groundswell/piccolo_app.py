"""The single Piccolo app: every table, and the migrations folder at the repository's top."""

from pathlib import Path

from piccolo.conf.apps import AppConfig
from piccolo.table import Table

from groundswell.accounts.tables import AccountLink, ApiToken, Membership, User, UserSession
from groundswell.allocation.tables import TABLES as ALLOCATION_TABLES
from groundswell.community.tables import HostOrganisation, Locality, Organiser, ScheduledMove
from groundswell.core.tables import AuditEntry, RateLimitCounter, SchedulerStatus
from groundswell.funders.tables import Deposit, Funder, Pool, PoolCofunder, PoolLocality
from groundswell.ledger.tables import TABLES as LEDGER_TABLES
from groundswell.lessons.tables import TABLES as LESSONS_TABLES
from groundswell.outbox.tables import TABLES as OUTBOX_TABLES
from groundswell.payments.tables import TABLES as PAYMENTS_TABLES
from groundswell.programme.tables import TABLES as PROGRAMME_TABLES
from groundswell.vouching.tables import TABLES as VOUCHING_TABLES

MIGRATIONS_FOLDER = Path(__file__).resolve().parents[2] / "migrations"

TABLES: list[type[Table]] = [
    Locality,
    HostOrganisation,
    Organiser,
    ScheduledMove,
    Funder,
    Pool,
    PoolLocality,
    User,
    Membership,
    UserSession,
    ApiToken,
    AccountLink,
    AuditEntry,
    RateLimitCounter,
    SchedulerStatus,
    *VOUCHING_TABLES,
    *OUTBOX_TABLES,
    *PROGRAMME_TABLES,
    Deposit,
    PoolCofunder,
    *PAYMENTS_TABLES,  # a checkout intent refers to its deposit
    *LEDGER_TABLES,
    *ALLOCATION_TABLES,
    *LESSONS_TABLES,  # a lesson refers to a place, an organiser and its author
]

APP_CONFIG = AppConfig(
    app_name="groundswell",
    migrations_folder_path=str(MIGRATIONS_FOLDER),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
