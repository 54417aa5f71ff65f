"""Browser interfaces of the disclosure workflow, one module per screen family."""
