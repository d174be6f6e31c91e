"""Chooses the payment adapter from settings: Stripe when a key is set, else offline."""

from __future__ import annotations

from groundswell.payments.gateway import PaymentGateway
from groundswell.settings import Settings


def gateway_for(settings: Settings) -> PaymentGateway:
    if settings.stripe_api_key:
        from groundswell.payments.stripe_gateway import StripeGateway

        return StripeGateway(settings)
    from groundswell.payments.offline import OfflineGateway

    return OfflineGateway(settings)
