"""
Small parts both domain apps share: the domain error hierarchy, putting a service's refusal on
a form, keyset cursors and the read-only admin. Infrastructure: imports no domain app.
"""
