"""
Request-wide limits, applied before anything parses the request.

`RequestBodyLimitMiddleware` sits near the top of MIDDLEWARE, before the session, CSRF and
authentication middleware, which may read `request.POST`. It answers 413 without reading a
byte when the declared Content-Length is over MAX_REQUEST_BODY_BYTES, and bounds the body
stream itself for requests without one (chunked transfer behind gunicorn, or ASGI): a read
past the limit raises, and whatever Django made of that exception becomes the same 413.
The reverse proxy should refuse such bodies first (nginx `client_max_body_size`); this is
the application's own guarantee when it does not.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

API_PATH_PREFIX = "/api/"


class RequestBodyTooLarge(RequestDataTooBig):
    """The request body went past MAX_REQUEST_BODY_BYTES while it was being read."""


class BoundedStream(io.RawIOBase):
    """
    A request body stream that raises RequestBodyTooLarge once more than `limit` bytes came.

    Reads ask the underlying stream for at most one byte past the limit, so an endless
    body costs `limit + 1` bytes, never more. Seeking is passed through (an ASGI body is a
    seekable temporary file, and Django measures it that way before reading it whole).
    """

    def __init__(self, stream: Any, limit: int, on_exceeded: Callable[[int], None]) -> None:
        super().__init__()
        self._stream = stream
        self._limit = limit
        self._on_exceeded = on_exceeded
        self._position = 0

    def _allowance(self, size: int | None) -> int:
        left = self._limit - self._position + 1
        return left if size is None or size < 0 else min(size, left)

    def _count(self, data: bytes) -> bytes:
        self._position += len(data)
        if self._position > self._limit:
            self._on_exceeded(self._limit)
            raise RequestBodyTooLarge(f"The request body exceeded its limit ({self._limit} bytes).")
        return data

    def read(self, size: int | None = -1, /) -> bytes:
        return self._count(self._stream.read(self._allowance(size)))

    def readline(self, size: int | None = -1, /) -> bytes:
        return self._count(self._stream.readline(self._allowance(size)))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        seekable = getattr(self._stream, "seekable", None)
        return bool(seekable and seekable())

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        self._position = self._stream.seek(offset, whence)
        return self._position

    def tell(self) -> int:
        return self._position


def _declared_length(request: HttpRequest) -> int | None:
    """The Content-Length as a number, None when absent; ValueError when it is not one."""
    raw = request.META.get("CONTENT_LENGTH")
    if raw in (None, ""):
        return None
    length = int(raw)
    if length < 0:
        raise ValueError(raw)
    return length


def _stream_limit(request: HttpRequest) -> int:
    """
    How much a body without Content-Length may stream.

    Django checks DATA_UPLOAD_MAX_MEMORY_SIZE against the declared length before reading a
    non-file body into memory; without a declared length that check cannot run, so such a
    body is held to it here. Multipart bodies are streamed to disk and get the full limit.
    """
    limit: int = settings.MAX_REQUEST_BODY_BYTES
    in_memory: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if request.content_type != "multipart/form-data" and in_memory is not None:
        return min(limit, in_memory)
    return limit


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    """A short 413: JSON for the API, a plain page for everything else. Never a traceback."""
    megabytes = limit / (1024 * 1024)
    if request.path.startswith(API_PATH_PREFIX):
        return JsonResponse(
            {"detail": f"The body is larger than {limit} bytes; split the batch."}, status=413
        )
    body = render_to_string("413.html", {"megabytes": f"{megabytes:g}"})
    return HttpResponse(body, status=413)


class RequestBodyLimitMiddleware:
    """Refuse request bodies over MAX_REQUEST_BODY_BYTES with 413, before anything parses them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int = settings.MAX_REQUEST_BODY_BYTES
        try:
            declared = _declared_length(request)
        except ValueError:
            return HttpResponse("Bad Request: invalid Content-Length.", status=400)
        if declared is not None and declared > limit:
            logger.warning(
                "Refused a %d-byte body on %s (limit %d).", declared, request.path, limit
            )
            return too_large_response(request, limit)

        exceeded: list[int] = []
        self._bound_stream(request, declared, exceeded.append)
        response = self.get_response(request)
        if exceeded:
            # Whatever the view or Django made of RequestBodyTooLarge (a 400, a 500, a
            # caught exception), the answer is the 413.
            logger.warning(
                "Refused a streamed body over %d bytes on %s.", exceeded[0], request.path
            )
            return too_large_response(request, exceeded[0])
        return response

    @staticmethod
    def _bound_stream(
        request: HttpRequest, declared: int | None, on_exceeded: Callable[[int], None]
    ) -> None:
        stream = getattr(request, "_stream", None)
        if stream is None:
            return
        if declared is not None:
            limit = settings.MAX_REQUEST_BODY_BYTES
        else:
            limit = _stream_limit(request)
            environ = getattr(request, "environ", None)
            # Without a length, Django's WSGI request reads nothing; a server that marks the
            # input as terminated (gunicorn, for chunked transfer) lets it be read to its end.
            if environ is not None and environ.get("wsgi.input_terminated"):
                stream = environ["wsgi.input"]
        # A binary file-like object in all but name: the stubs want the BinaryIO protocol class.
        request._stream = cast(BinaryIO, BoundedStream(stream, limit, on_exceeded))
