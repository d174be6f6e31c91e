from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from groundswell.accounts.states import LinkPurpose
from groundswell.community.tables import HostOrganisation
from groundswell.core.principal import Role
from groundswell.funders.tables import Funder


class User(Table, tablename="app_user"):
    id: Serial
    email = Varchar(length=254, unique=True)
    name = Varchar(length=120)
    # An invited user who has not chosen a password yet holds a value no password matches.
    password_hash = Varchar(length=255, secret=True)
    role = Varchar(length=16, choices=Role)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class Membership(Table, tablename="membership"):
    """A funder member belongs to funders, a host member to host organisations."""

    id: Serial
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    funder = ForeignKey(Funder, null=True, on_delete=OnDelete.cascade)
    host = ForeignKey(HostOrganisation, null=True, on_delete=OnDelete.cascade)


class UserSession(Table, tablename="user_session"):
    """Server-side sessions: the cookie holds a random token, we keep only its hash."""

    id: Serial
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class ApiToken(Table, tablename="api_token"):
    id: Serial
    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=12)
    name = Varchar(length=80)
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    # Always set when a token is made; a row without one authenticates nobody.
    expires_at = Timestamptz(null=True, default=None)
    read_only = Boolean(default=False)


class AccountLink(Table, tablename="account_link"):
    """A single-use link e-mailed to a person to set their password: an invitation or a
    password reset. Only the token's hash is kept; the link works once, until it expires."""

    id: Serial
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    purpose = Varchar(length=16, choices=LinkPurpose)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
