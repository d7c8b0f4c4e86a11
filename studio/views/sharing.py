"""Share links: members make and revoke them on the job page; anyone with one opens the
public page, its embed, the video's files and the play beacon, without signing in.

A share token reaches one video's page, MP4, poster and captions (and the MP4 as a download
where the link allows it), and nothing else of the workspace.
"""

from __future__ import annotations

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from studio import ratelimits, selectors, services
from studio.forms.sharing import ShareLinkForm
from studio.models import ShareLink, Video
from studio.views.access import AuthenticatedRequest, member_of
from studio.views.files import serve_stored, video_attachment

SHARING_REFUSED = "Viewers cannot share videos."
# Files of a share link are checked on every request, so a revoked link stops at once: the
# browser may keep them, but must ask again before using them.
SHARE_CACHE = "private, no-cache"


# Members ------------------------------------------------------------------------------------


@require_POST
@login_required
def share_create(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> HttpResponse:
    membership = member_of(request, workspace_id, editing=SHARING_REFUSED)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    video = getattr(job, "video", None)
    if video is None:
        raise Http404
    form = ShareLinkForm(request.POST)
    if form.is_valid():
        try:
            link = services.sharing.share_link_create(
                video=video,
                user=request.user,
                expires_at=form.expires_at(),
                allow_download=form.cleaned_data["allow_download"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Share link made: anyone with it can watch the video.")
            return redirect(
                f"{reverse('job_detail', args=[workspace_id, job_id])}?shared={link.pk}#share"
            )
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("job_detail", workspace_id=workspace_id, job_id=job_id)


@require_POST
@login_required
def share_revoke(
    request: AuthenticatedRequest, workspace_id: int, job_id: int, link_id: int
) -> HttpResponse:
    membership = member_of(request, workspace_id, editing=SHARING_REFUSED)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    video = getattr(job, "video", None)
    if video is None:
        raise Http404
    services.sharing.share_link_revoke(link=selectors.share_link_get(video=video, link_id=link_id))
    messages.success(request, "Share link revoked: it no longer opens.")
    return redirect(f"{reverse('job_detail', args=[workspace_id, job_id])}#share")


def share_urls(request: HttpRequest, link: ShareLink) -> dict[str, str]:
    """The link's public addresses, absolute (chat tools and embeds fetch them from outside)."""
    token = link.token
    video = link.video
    urls = {
        "page": reverse("share_page", args=[token]),
        "embed": reverse("share_embed", args=[token]),
        "video": reverse("share_video", args=[token]),
        "poster": reverse("share_poster", args=[token]),
        "play": reverse("share_play", args=[token]),
    }
    if video.captions:
        urls["captions"] = reverse("share_captions", args=[token])
    if link.allow_download:
        urls["download"] = reverse("share_download", args=[token])
    return {name: request.build_absolute_uri(url) for name, url in urls.items()}


# Anyone with the link -----------------------------------------------------------------------


def _page(request: HttpRequest, token: str, template: str) -> HttpResponse:
    link = selectors.share_link_live(token=token)
    video: Video = link.video
    response = render(
        request,
        template,
        {
            "link": link,
            "video": video,
            "title": link.video.job.prompt,
            "urls": share_urls(request, link),
        },
    )
    # A share page is for whoever has the link, not for search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    return _page(request, token, "studio/share_page.html")


@require_GET
@xframe_options_exempt
@csp_replace({"frame-ancestors": settings.SHARE_EMBED_ANCESTORS})  # type: ignore[arg-type]
def share_embed(request: HttpRequest, token: str) -> HttpResponse:
    """The bare player, for an iframe on another site: the one page that may be framed."""
    return _page(request, token, "studio/share_embed.html")


@require_GET
def share_video(request: HttpRequest, token: str) -> HttpResponseBase:
    link = selectors.share_link_live(token=token)
    return serve_stored(request, link.video.file.name, cache_control=SHARE_CACHE)


@require_GET
def share_poster(request: HttpRequest, token: str) -> HttpResponseBase:
    link = selectors.share_link_live(token=token)
    return serve_stored(request, link.video.poster.name, cache_control=SHARE_CACHE)


@require_GET
def share_captions(request: HttpRequest, token: str) -> HttpResponseBase:
    link = selectors.share_link_live(token=token)
    if not link.video.captions:
        raise Http404
    return serve_stored(request, link.video.captions.name, cache_control=SHARE_CACHE)


@require_GET
def share_download(request: HttpRequest, token: str) -> HttpResponseBase:
    link = selectors.share_link_live(token=token)
    if not link.allow_download:
        raise Http404
    return video_attachment(link.video)


@csrf_exempt  # sent by any visitor's page, signed in or not; it changes nothing but a count
@require_POST
def share_play(request: HttpRequest, token: str) -> HttpResponse:
    """The share page's beacon when playback starts: counted, rate-limited per address and
    deduplicated per visitor (services.sharing.share_play_record)."""
    link = selectors.share_link_live(token=token)
    ip = ratelimits.client_ip(request)
    wait = ratelimits.wait_for(request, "share_plays", key=f"ip:{ip}")
    if wait is not None:
        return ratelimits.refused(HttpResponse(status=429), wait)
    services.sharing.share_play_record(
        link=link, ip=ip, user_agent=request.headers.get("User-Agent", "")[:500]
    )
    return HttpResponse(status=204)
