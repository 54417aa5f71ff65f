"""
`make bench`: the project's performance measured at scale against raw SQL, the stock admin and
its own small scale (issue 18). Runs against a separate PostgreSQL database; see docs/benchmarks.md.
"""
