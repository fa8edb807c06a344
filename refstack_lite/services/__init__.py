"""Domain services: each takes a session, an actor and plain values, checks what the actor
may do, changes rows and writes the audit trail. They never commit; the view does, once."""
