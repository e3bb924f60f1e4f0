"""Cases: what happens to a person's request, from the application to the decision, the appeal,
an offer and an appointment, and the messages that tell them of it (notifications)."""
