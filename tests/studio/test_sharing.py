"""Share links: made and revoked by editors, opened by anyone with the token, and nothing else."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from studio import services
from studio.models import Job, Membership, ShareLink, ShareView, Video
from studio.services.sharing import visitor_hash

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(video: Video, user: Any) -> ShareLink:
    return services.sharing.share_link_create(video=video, user=user)


def _public_urls(link: ShareLink) -> list[str]:
    return [
        reverse(name, args=[link.token])
        for name in ("share_page", "share_embed", "share_video", "share_poster")
    ]


def _meta(html: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    assert match, key
    return match.group(1)


def test_an_editor_makes_a_share_link_from_the_job_page(member_client, video):
    """The Share form makes a link with a long random token, shown on the job page."""
    job = video.job
    response = member_client.post(
        reverse("share_create", args=[job.workspace_id, job.pk]),
        {"expires": "7", "allow_download": "on"},
        follow=True,
    )
    link = ShareLink.objects.get(video=video)
    assert len(link.token) >= 32  # 24 random bytes, URL-safe base64
    assert link.allow_download
    assert link.expires_at is not None
    assert timedelta(days=6) < link.expires_at - timezone.now() <= timedelta(days=7)
    assert f"http://testserver/s/{link.token}/" in response.content.decode()
    assert f"http://testserver/s/{link.token}/embed/" in response.content.decode()


def test_two_links_never_share_a_token(video, user):
    """Each link gets its own token."""
    tokens = {services.sharing.share_link_create(video=video, user=user).token for _ in range(5)}
    assert len(tokens) == 5


def test_a_viewer_cannot_share_or_revoke(client, other_user, video, link):
    """A viewer of the workspace gets 403 and no link is made or revoked."""
    services.workspaces.membership_add(
        workspace=video.workspace, user=other_user, role=Membership.Role.VIEWER
    )
    client.force_login(other_user)
    job = video.job
    assert client.post(reverse("share_create", args=[job.workspace_id, job.pk])).status_code == 403
    revoke = reverse("share_revoke", args=[job.workspace_id, job.pk, link.pk])
    assert client.post(revoke).status_code == 403
    link.refresh_from_db()
    assert ShareLink.objects.count() == 1 and link.revoked_at is None


def test_another_workspace_cannot_share_or_revoke_the_job(client, other_user, video, link):
    """A user of another workspace gets 404 for the share and revoke buttons' addresses."""
    services.workspaces.workspace_ensure_personal(user=other_user)
    client.force_login(other_user)
    job = video.job
    assert client.post(reverse("share_create", args=[job.workspace_id, job.pk])).status_code == 404
    revoke = reverse("share_revoke", args=[job.workspace_id, job.pk, link.pk])
    assert client.post(revoke).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_a_link_of_another_job_cannot_be_revoked_through_this_one(member_client, video, link, job):
    """Revoking checks that the link belongs to the job in the address."""
    other = services.jobs.job_rerun(job=job, user=job.created_by, same_seed=False)
    url = reverse("share_revoke", args=[other.workspace_id, other.pk, link.pk])
    assert member_client.post(url).status_code == 404


def test_an_unfinished_job_cannot_be_shared(video, user):
    """Only a succeeded job's video can be shared."""
    Job.objects.filter(pk=video.job_id).update(status=Job.Status.RUNNING)
    video.job.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.sharing.share_link_create(video=video, user=user)
    assert caught.value.code == "not_finished"


def test_sharing_announces_video_shared_once_committed(
    video, user, django_capture_on_commit_callbacks
):
    """The video.shared event leaves from one place, after the link is committed."""
    with (
        mock.patch("studio.services.sharing._announce") as announce,
        django_capture_on_commit_callbacks(execute=True),
    ):
        link = services.sharing.share_link_create(video=video, user=user)
        announce.assert_not_called()
    announce.assert_called_once_with("video.shared", link=link)


def test_a_signed_out_visitor_opens_the_page_with_unfurl_tags(client, link, video):
    """The page opens without signing in, with Open Graph and Twitter tags in absolute URLs."""
    response = client.get(reverse("share_page", args=[link.token]))
    assert response.status_code == 200
    html = response.content.decode()
    base = f"http://testserver/s/{link.token}/"
    assert _meta(html, "og:video") == base + "video.mp4"
    assert _meta(html, "og:video:type") == "video/mp4"
    assert _meta(html, "og:video:width") == str(video.width)
    assert _meta(html, "og:video:height") == str(video.height)
    assert _meta(html, "og:image") == base + "poster.jpg"
    assert _meta(html, "og:url") == base
    assert _meta(html, "twitter:card") == "player"
    assert _meta(html, "twitter:player") == base + "embed/"
    assert video.job.prompt in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "<script>" not in html  # no inline script under the site's policy


def test_the_video_is_served_under_the_token_with_ranges(client, link):
    """The MP4 plays and seeks: a Range request gets 206 with the bytes asked for."""
    url = reverse("share_video", args=[link.token])
    whole = client.get(url)
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == b"0123456789"
    part = client.get(url, HTTP_RANGE="bytes=2-5")
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 2-5/10"
    assert b"".join(part.streaming_content) == b"2345"
    assert "no-cache" in part["Cache-Control"]
    assert client.get(reverse("share_poster", args=[link.token])).status_code == 200


def test_captions_are_served_where_the_video_has_them(client, link, video):
    """No captions: 404; with a WebVTT file, it is served and the page's player has a track."""
    url = reverse("share_captions", args=[link.token])
    assert client.get(url).status_code == 404
    video.captions.save("clip.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n"))
    assert client.get(url).status_code == 200
    page = client.get(reverse("share_page", args=[link.token])).content.decode()
    assert f'src="http://testserver{url}"' in page and "<track" in page


def test_the_download_button_only_where_the_link_allows_it(client, link, video, user):
    """Without allow_download: no button and 404; with it, the MP4 as an attachment."""
    url = reverse("share_download", args=[link.token])
    assert client.get(url).status_code == 404
    assert (
        "share-download"
        not in client.get(reverse("share_page", args=[link.token])).content.decode()
    )
    allowed = services.sharing.share_link_create(video=video, user=user, allow_download=True)
    response = client.get(reverse("share_download", args=[allowed.token]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert (
        "share-download" in client.get(reverse("share_page", args=[allowed.token])).content.decode()
    )


def test_a_share_token_reaches_nothing_else(client, link, video):
    """The page names only its own token's files; the workspace's pages and files stay shut."""
    html = client.get(reverse("share_page", args=[link.token])).content.decode()
    assert "/files/" not in html and "/w/" not in html
    job = video.job
    for url in (
        reverse("file", args=[video.file.name]),
        reverse("file", args=[video.poster.name]),
        reverse("video_download", args=[job.workspace_id, job.pk]),
        reverse("job_detail", args=[job.workspace_id, job.pk]),
        reverse("gallery", args=[job.workspace_id]),
    ):
        assert client.get(url).status_code in (302, 404), url  # 302: to the sign-in page
    assert client.get(f"/s/{link.token}/../../files/{video.file.name}").status_code in (302, 404)
    assert client.get("/s/not-a-token/").status_code == 404
    assert client.get("/s/ab%00cd/").status_code == 404  # PostgreSQL refuses a NUL: no 500
    assert client.post("/s/ab%00cd/play/").status_code == 404
    assert client.get(f"/s/{link.token[:-1]}/video.mp4").status_code == 404


def test_a_revoked_link_gives_404_at_once_files_too(member_client, client, link, video):
    """Revoke on the job page: the page, embed, files and beacon answer 404 from then on."""
    for url in _public_urls(link):
        assert client.get(url).status_code == 200, url
    job = video.job
    member_client.post(reverse("share_revoke", args=[job.workspace_id, job.pk, link.pk]))
    for url in _public_urls(link):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("share_play", args=[link.token])).status_code == 404
    page = member_client.get(reverse("job_detail", args=[job.workspace_id, job.pk]))
    assert "Revoked" in page.content.decode()


def test_an_expired_link_gives_404(client, video, user):
    """Past its expiry a link opens nothing."""
    link = services.sharing.share_link_create(
        video=video, user=user, expires_at=timezone.now() + timedelta(hours=1)
    )
    assert client.get(reverse("share_page", args=[link.token])).status_code == 200
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for url in _public_urls(link):
        assert client.get(url).status_code == 404, url


def test_an_expiry_in_the_past_is_refused(video, user):
    """A link cannot be made already expired."""
    with pytest.raises(ValidationError) as caught:
        services.sharing.share_link_create(
            video=video, user=user, expires_at=timezone.now() - timedelta(minutes=1)
        )
    assert caught.value.code == "expired"


def test_only_the_embed_may_be_framed(client, member_client, link, video):
    """The embed page drops X-Frame-Options and lets any site frame it; every other page,
    the share page included, still refuses to be framed."""
    embed = client.get(reverse("share_embed", args=[link.token]))
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert "script-src 'self'" in embed["Content-Security-Policy"]
    job = video.job
    for response in (
        client.get(reverse("share_page", args=[link.token])),
        member_client.get(reverse("job_detail", args=[job.workspace_id, job.pk])),
        member_client.get(reverse("gallery", args=[job.workspace_id])),
    ):
        assert response.status_code == 200
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    # A revoked link's embed is a plain 404 page, which refuses framing like the rest.
    services.sharing.share_link_revoke(link=link)
    gone = client.get(reverse("share_embed", args=[link.token]))
    assert gone.status_code == 404 and gone["X-Frame-Options"] == "DENY"


# View counts --------------------------------------------------------------------------------


def test_a_play_counts_once_per_visitor_within_the_window(client, link):
    """The beacon counts a play; the same visitor again at once is not counted twice; another
    browser is another viewer. The page is told 204 either way, and sets no cookie."""
    url = reverse("share_play", args=[link.token])
    first = client.post(url, HTTP_USER_AGENT="Firefox")
    assert first.status_code == 204 and not first.cookies
    assert client.post(url, HTTP_USER_AGENT="Firefox").status_code == 204
    assert client.post(url, HTTP_USER_AGENT="Chromium").status_code == 204
    views = ShareView.objects.filter(link=link)
    assert views.count() == 2
    assert sorted(views.values_list("plays", flat=True)) == [1, 1]


def test_plays_after_the_window_add_up(client, link):
    """Once the dedupe window has passed (its key gone from the cache), the next play counts."""
    from django.core.cache import cache

    url = reverse("share_play", args=[link.token])
    for _ in range(3):
        client.post(url, HTTP_USER_AGENT="Firefox")
        client.post(url, HTTP_USER_AGENT="Firefox")  # at once: the same play
        cache.delete_pattern("reelsmith.share-play:*")  # type: ignore[attr-defined]
    assert ShareView.objects.get(link=link).plays == 3


def test_the_beacon_is_rate_limited_per_address(client, link, settings):
    """Past its rate, the beacon answers 429 with Retry-After and counts nothing."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "share_plays": "2/h"}  # never two windows
    url = reverse("share_play", args=[link.token])
    assert client.post(url, HTTP_USER_AGENT="a").status_code == 204
    assert client.post(url, HTTP_USER_AGENT="b").status_code == 204
    refused = client.post(url, HTTP_USER_AGENT="c")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert ShareView.objects.filter(link=link).count() == 2


def test_the_beacon_needs_no_csrf_token_but_only_takes_post(link):
    """Any page may send the beacon (no CSRF token); a GET counts nothing."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    url = reverse("share_play", args=[link.token])
    assert strict.post(url).status_code == 204
    assert strict.get(url).status_code == 405


def test_the_visitor_hash_is_keyed_and_changes_with_the_day(settings):
    """The same visitor is the same within a day, another the next day, and another again
    under another secret: the hash cannot be tied to a person across days."""
    day = date(2026, 12, 2)
    one = visitor_hash(ip="203.0.113.9", user_agent="Firefox", day=day)
    assert one == visitor_hash(ip="203.0.113.9", user_agent="Firefox", day=day)
    assert one != visitor_hash(ip="203.0.113.9", user_agent="Firefox", day=day + timedelta(1))
    assert one != visitor_hash(ip="203.0.113.10", user_agent="Firefox", day=day)
    assert "203.0.113.9" not in one and len(one) == 64
    settings.SHARE_VISITOR_SECRET = "another-secret"
    assert one != visitor_hash(ip="203.0.113.9", user_agent="Firefox", day=day)


def test_the_job_page_shows_plays_and_viewers_per_day(member_client, link, video):
    """Per day and in total: plays and unique viewers."""
    today = timezone.localdate()
    ShareView.objects.create(link=link, day=today, visitor_hash="a", plays=3)
    ShareView.objects.create(link=link, day=today, visitor_hash="b", plays=1)
    ShareView.objects.create(link=link, day=today - timedelta(days=1), visitor_hash="c", plays=2)
    job = video.job
    html = member_client.get(
        reverse("job_detail", args=[job.workspace_id, job.pk])
    ).content.decode()
    table = html[html.index('id="share-views"') :]
    assert f"<td>{today:%Y-%m-%d}</td><td>4</td><td>2</td>" in table
    assert f"<td>{today - timedelta(days=1):%Y-%m-%d}</td><td>2</td><td>1</td>" in table
    assert '<th id="share-plays-total">6</th><th>3</th>' in table


def test_a_variant_group_shows_plays_per_variant_side_by_side(member_client, video, user):
    """Each variant's share plays, in one table on every variant's page."""
    first = video.job
    second = services.jobs.job_rerun(job=first, user=user, same_seed=False)
    Job.objects.filter(pk=second.pk).update(variant_of=first, status=Job.Status.SUCCEEDED)
    second.refresh_from_db()
    other_video = Video.objects.create(
        job=second,
        workspace=first.workspace,
        file=video.file.name,
        poster=video.poster.name,
        width=8,
        height=8,
        fps=8,
        num_frames=8,
        duration=1.0,
        size_bytes=10,
    )
    day = timezone.localdate()
    a = services.sharing.share_link_create(video=video, user=user)
    b = services.sharing.share_link_create(video=other_video, user=user)
    ShareView.objects.create(link=a, day=day, visitor_hash="x", plays=5)
    ShareView.objects.create(link=b, day=day, visitor_hash="y", plays=2)
    ShareView.objects.create(link=b, day=day, visitor_hash="z", plays=1)
    html = member_client.get(
        reverse("job_detail", args=[first.workspace_id, second.pk])
    ).content.decode()
    table = html[
        html.index('id="variant-plays"') : html.index("</table>", html.index('id="variant-plays"'))
    ]
    assert re.search(rf"1 · seed {first.seed}</a></td><td>5</td><td>1</td>", table)
    assert re.search(rf"2 · seed {second.seed}</a></td><td>3</td><td>2</td>", table)


def test_a_bad_expiry_is_refused_and_makes_no_link(member_client, video):
    """An expiry that is not one of the choices: the page says so and no link is made."""
    job = video.job
    response = member_client.post(
        reverse("share_create", args=[job.workspace_id, job.pk]), {"expires": "9999"}, follow=True
    )
    assert "Select a valid choice" in response.content.decode()
    assert not ShareLink.objects.exists()


def test_revoking_every_link_of_a_video(client, video, user):
    """share_link_revoke_all shuts every live link of the video, and says how many."""
    links = [services.sharing.share_link_create(video=video, user=user) for _ in range(2)]
    services.sharing.share_link_revoke(link=links[0])
    assert services.sharing.share_link_revoke_all(video=video) == 1
    for link in links:
        assert client.get(reverse("share_page", args=[link.token])).status_code == 404


def test_the_job_page_says_when_a_live_video_can_be_shared(member_client, job):
    """While the job runs, the page has a hidden note that the script shows when it succeeds."""
    html = member_client.get(reverse("job_detail", args=[job.workspace_id, job.pk])).content
    assert b'id="extra-ready" hidden' in html and b'id="share"' not in html
