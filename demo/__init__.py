"""
Project-level demo: the command that fills a database with every app's demo data.

It sits above the apps, so the apps underneath (accounts in particular) need not know the
domain apps to seed them; each app keeps its own demo data in its `demo` module.
"""
