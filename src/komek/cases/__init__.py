"""Cases: what a person does with the social services beyond the rules, as a wing of its own.
Appointments on reservable slots (appointments), with their fees paid through a provider
(payments). The services combine it with the access wing (who may) and the faces."""
from komek.cases import appointments, payments
from komek.cases.payments import Provider, Sandbox

__all__ = ["Provider", "Sandbox", "appointments", "payments"]
