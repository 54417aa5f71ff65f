"""Write use-cases of the disclosure workflow, by concern (see each module)."""
