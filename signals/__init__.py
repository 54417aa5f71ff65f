"""
Automatic tools that assist moderators (issue 15): hash banks matched against reported media,
and later the classifier, near-duplicate groups and governed automation. A domain app on top
of moderation: it reads moderation's selectors and adds signals to cases through moderation's
services; moderation imports nothing from it.
"""
