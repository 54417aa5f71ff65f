"""Checking that user text cannot reorder the page: isolates around every direction control."""

from __future__ import annotations

from html.parser import HTMLParser

from moderation.templatetags.moderation_tags import BIDI_CONTROLS

RLO = "\u202e"
EVIL = f"evil{RLO}gnp.exe"
DISARMED = f'<bdi class="bidi-control" data-char="U+202E">{RLO}</bdi>'
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class IsolationChecker(HTMLParser):
    """Finds direction controls in the page's text that no isolating element contains."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.exposed: list[str] = []
        self.isolated = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        isolating = tag == "bdi" or any(name == "dir" for name, _value in attrs)
        self.stack.append((tag, isolating))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not any(char in data for char in BIDI_CONTROLS):
            return
        if any(isolating for _tag, isolating in self.stack):
            self.isolated += 1
        else:
            self.exposed.append(data)


def check_isolation(html: str) -> IsolationChecker:
    checker = IsolationChecker()
    checker.feed(html)
    checker.close()
    return checker
