"""Bodies of streamed responses (recordings, evidence bundles) that stay streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest


def streamed_body(request: HttpRequest, chunks: Iterator[bytes]
                  ) -> Iterator[bytes] | AsyncIterator[bytes]:
    """`chunks` as a StreamingHttpResponse should get them for this request: under ASGI
    (Daphne) an asynchronous iterator reading each chunk in a worker thread, since Django
    reads a synchronous iterator whole into memory before sending it there; under WSGI the
    chunks as they are."""
    return _each_in_a_thread(chunks) if isinstance(request, ASGIRequest) else chunks


async def _each_in_a_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    read = sync_to_async(next, thread_sensitive=False)
    while (data := await read(chunks, None)) is not None:
        yield data
