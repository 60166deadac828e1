"""Routes of search: results and suggestions, limited to what the caller may watch."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from clipcast.adapters.search.base import SortOrder
from clipcast.core.clock import utcnow
from clipcast.search import service
from clipcast.search.query import DateWindow, SearchParams
from clipcast.search.schemas import SearchPageOut, SuggestOut
from clipcast.videos.service import Viewer
from clipcast.web.deps import AdaptersDep, OptionalUser, viewer_for

router = APIRouter(prefix="/api/v1/search", tags=["search"])

QueryText = Annotated[str, Query(max_length=200)]
Seconds = Annotated[float | None, Query(ge=0)]


def split_tags(raw: list[str]) -> tuple[str, ...]:
    """`?tags=a,b` and `?tags=a&tags=b` mean the same."""
    return tuple(t for value in raw for t in value.split(","))


@router.get("", response_model=SearchPageOut)
async def search(
    request: Request,
    adapters: AdaptersDep,
    user: OptionalUser,
    q: QueryText = "",
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    sort: SortOrder = SortOrder.RELEVANCE,
    duration_min: Seconds = None,
    duration_max: Seconds = None,
    date: DateWindow | None = None,
    uploaded_after: datetime | None = None,
    uploaded_before: datetime | None = None,
    tags: Annotated[list[str] | None, Query()] = None,
    owner: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Videos matching `q` (typos forgiven, the last word as a prefix) and the filters."""
    params = SearchParams(
        q=q,
        page=page,
        per_page=per_page,
        sort=sort,
        duration_min=duration_min,
        duration_max=duration_max,
        date=date,
        uploaded_after=uploaded_after,
        uploaded_before=uploaded_before,
        tags=split_tags(tags or []),
        owner=owner,
    )
    # The use case's JSON as it is: it was built from these models, so validating it again
    # on the way out would only cost time.
    viewer_id = user.id if user else None
    groups = await service.viewer_groups(sessions=adapters.sessions, viewer_id=viewer_id)
    body = await service.search_json(
        adapters.search,
        params,
        viewer_id,
        utcnow(),
        media_links(viewer_for(request, adapters, None)),
        groups,
    )
    return Response(content=body, media_type="application/json")


def media_links(viewer: Viewer) -> service.MediaLinks:
    """What results need to link their thumbnails, as `GET /api/v1/videos/{id}` links them."""
    return service.MediaLinks(viewer.base_url, viewer.secret, viewer.token_ttl)


@router.get("/suggest")
async def suggest(adapters: AdaptersDep, user: OptionalUser, q: QueryText = "") -> SuggestOut:
    """Up to 8 titles for what has been typed so far."""
    viewer_id = user.id if user else None
    titles = await service.suggest_titles(
        index=adapters.search,
        q=q,
        viewer_id=viewer_id,
        groups=await service.viewer_groups(sessions=adapters.sessions, viewer_id=viewer_id),
    )
    return SuggestOut(suggestions=titles)
