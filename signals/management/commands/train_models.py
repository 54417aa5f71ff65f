"""
Train the classifier now: every category, or one (`--category CODE`). Says for each category
what it did: the new version and how it scored, or why nothing was trained.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from moderation.models import Category
from signals.classifier.training import models_train


class Command(BaseCommand):
    help = "Train the text model of every category (or of one) on moderators' decisions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--category", help="A category code, such as spam.")

    def handle(self, *args: Any, **options: Any) -> None:
        category_id = None
        if options["category"]:
            category = Category.objects.filter(code=options["category"]).first()
            if category is None:
                codes = ", ".join(Category.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(f"No category {options['category']!r}. Known: {codes}.")
            category_id = category.pk
        run = models_train(category_id=category_id, actor=None)
        for outcome in run.outcomes:
            self.stdout.write(outcome.describe())
        for code in run.failed:
            self.stderr.write(f"{code}: training failed (see the log).")
        self.stdout.write(
            f"{run.activated} version(s) activated; {run.scored} open report(s) scored."
        )
        if run.failed:
            raise CommandError(f"Training failed for: {', '.join(run.failed)}.")
