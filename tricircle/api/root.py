"""The gateway's root document: which surfaces it serves."""

from aiohttp import web

from tricircle import __version__
from tricircle.api.middleware import public


@public
async def versions(request: web.Request) -> web.Response:
    """200: the surfaces served and the admin API version."""
    base = str(request.url.origin())
    return web.json_response({
        "tricircle": __version__,
        "surfaces": {
            "compute": base + "/compute/v2.1",
            "volumev3": base + "/volume/v3",
            "image": base + "/image",
            "network": base + "/network",
            "multiregion": base + "/v1.0",
        },
    })
