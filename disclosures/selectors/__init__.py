"""Read use-cases of the disclosure workflow."""
