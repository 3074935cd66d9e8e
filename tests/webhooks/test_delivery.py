"""Delivery against a real receiver: Standard Webhooks signatures, retries with the same
`webhook-id`, `Retry-After`, 410, the outbox in the writing transaction, per-article order,
partner entitlement, secret rotation, test pings and redelivery."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.articles import service as articles_service
from app.articles.models import Article, ArticleUpdate
from app.changelog.schedule import sweep
from app.core.db import get_write_engine
from app.corrections.models import CorrectionCreate
from app.corrections.service import add_correction
from app.webhooks import outbox
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.receiver import Receiver

ARTICLE_EVENTS = ["article.published", "article.updated", "article.unpublished",
                  "article.deleted"]


def _endpoint(client: TestClient, headers: dict[str, str], url: str,
              events: list[str] | None = None, prefix: str = "/v1/editorial/webhooks",
              ) -> dict[str, Any]:
    created = client.post(prefix, headers=headers,
                          json={"url": url, "events": events or ARTICLE_EVENTS,
                                "description": "test receiver"})
    assert created.status_code == 201, created.text
    return created.json()


def _deliveries(client: TestClient, headers: dict[str, str], endpoint_id: str,
                status: str, count: int = 1, prefix: str = "/v1/editorial/webhooks",
                ) -> list[dict[str, Any]]:
    """The endpoint's deliveries with `status`, once there are `count` of them (the receiver
    has the request a moment before the sender records the answer)."""
    deadline = time.monotonic() + 10
    while True:
        found = client.get(f"{prefix}/{endpoint_id}/deliveries?status={status}",
                           headers=headers).json()["data"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _verify(secret: str, received: Any) -> Any:
    return Webhook(secret).verify(received.body, received.headers)


def _update(session: Session, article: Article, **fields: Any) -> Article:
    return articles_service.update_article(
        session, article, ArticleUpdate(**fields), expected_revision=article.revision, by=None,
        now=datetime.now(UTC))


class TestSignedDelivery:
    def test_publish_update_unpublish_delete_arrive_signed_in_order(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver, session: Session,
            auth_headers: Callable[..., dict[str, str]], make_article: Callable[..., Article],
            make_section: Callable[..., Any]) -> None:
        make_section("politics")
        with TestClient(sending_app()) as client:
            endpoint = _endpoint(client, auth_headers("admin"), receiver.url())
            assert endpoint["secret"].startswith("whsec_")
            article = make_article("Budget passed", section="politics")
            article = _update(session, article, title="Budget passed, at last")
            article = articles_service.unpublish_article(
                session, article, expected_revision=article.revision, by=None,
                now=datetime.now(UTC))
            articles_service.delete_article(session, article, expected_revision=article.revision,
                                            by=None, now=datetime.now(UTC))
            got = receiver.wait_for(lambda r: len(r) >= 2)
            time.sleep(0.5)  # nothing more may come: unpublished then deleted is one leaving
            got = receiver.of()
        assert [r.json["type"] for r in got] == ["article.published", "article.updated",
                                                 "article.unpublished"]
        body = _verify(endpoint["secret"], got[0])
        assert body["data"] == {"id": article.id, "slug": "budget-passed",
                                "url": "https://example.com/articles/budget-passed",
                                "seq": body["data"]["seq"], "language": "en",
                                "section": "politics"}
        assert isinstance(body["data"]["seq"], int)
        assert body["timestamp"].endswith("Z")
        assert got[0].headers["webhook-signature"].startswith("v1,")
        assert got[0].headers["content-type"] == "application/json"
        assert len({r.webhook_id for r in got}) == 3
        with pytest.raises(WebhookVerificationError):  # a wrong secret does not verify
            Webhook("whsec_" + "A" * 43 + "=").verify(got[0].body, got[0].headers)

    def test_a_draft_or_scheduled_article_sends_nothing(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver,
            auth_headers: Callable[..., dict[str, str]],
            make_article: Callable[..., Article]) -> None:
        with TestClient(sending_app()) as client:
            admin = auth_headers("admin")
            _endpoint(client, admin, receiver.url())
            probe = _endpoint(client, admin, receiver.url("probe"))
            make_article(status="draft")
            make_article(status="scheduled")
            client.post(f"/v1/editorial/webhooks/{probe['id']}/test", headers=admin)
            receiver.wait_for(lambda r: len(r) == 1, "probe")
            time.sleep(0.3)
        assert receiver.of() == []

    def test_kill_correction_and_scheduled_publication_name_what_happened(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver, session: Session,
            auth_headers: Callable[..., dict[str, str]],
            make_article: Callable[..., Article]) -> None:
        """A correction is `article.corrected`, a kill `article.killed` (not an unpublish), and
        a scheduled article going live (the sweep, not a request) `article.published`."""
        events = [*ARTICLE_EVENTS, "article.killed", "article.corrected"]
        with TestClient(sending_app()) as client:
            _endpoint(client, auth_headers("admin"), receiver.url(), events=events)
            article = make_article("Budget passed")
            now = datetime.now(UTC)
            article = add_correction(
                session, article, CorrectionCreate(kind="correction", text="The vote was 3-2."),
                expected_revision=article.revision, by=None, now=now)
            articles_service.kill_article(session, article, reason="Legal",
                                          expected_revision=article.revision, by=None, now=now)
            due = make_article("Later", status="scheduled",
                               published_at=now + timedelta(seconds=1))
            # This sweep publishes it, or another one first: a read of a feed sweeps, and so
            # does a live server another test started on this database (waiting for this one
            # to find it would wait for ever if another did).
            deadline = time.monotonic() + 30
            while session.exec(select(Article.status).where(col(Article.id) == due.id)
                               ).one() != "published":
                assert time.monotonic() < deadline, "the scheduled article was never published"
                sweep(session, now=datetime.now(UTC))
                time.sleep(0.2)
            got = receiver.wait_for(lambda r: len(r) >= 4)
        # In order per article (across articles the sender makes no promise).
        assert [r.json["type"] for r in got if r.json["data"]["id"] == article.id] == [
            "article.published", "article.corrected", "article.killed"]
        assert [r.json["type"] for r in got if r.json["data"]["id"] == due.id] == [
            "article.published"]


class TestRetries:
    def test_a_500_is_retried_with_the_same_webhook_id(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver,
            auth_headers: Callable[..., dict[str, str]],
            make_article: Callable[..., Article]) -> None:
        receiver.answer("main", (500, {}))
        with TestClient(sending_app()) as client:
            admin = auth_headers("admin")
            endpoint = _endpoint(client, admin, receiver.url())
            make_article()
            got = receiver.wait_for(lambda r: len(r) == 2)
            deliveries = _deliveries(client, admin, endpoint["id"], "succeeded")
        assert got[0].webhook_id == got[1].webhook_id
        assert got[0].body == got[1].body
        assert got[1].at - got[0].at >= 0.3 * 0.8 - 0.05  # the first retry delay, jittered
        for received in got:
            _verify(endpoint["secret"], received)
        assert deliveries[0]["id"] == got[0].webhook_id
        assert deliveries[0]["status"] == "succeeded"
        assert [a["response_status"] for a in deliveries[0]["attempt_log"]] == [500, 200]

    def test_redirects_and_timeouts_are_failures(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver,
            auth_headers: Callable[..., dict[str, str]],
            make_article: Callable[..., Article]) -> None:
        receiver.answer("main", (302, {"location": "https://example.org/"}), (301, {}))
        with TestClient(sending_app()) as client:
            _endpoint(client, auth_headers("admin"), receiver.url())
            make_article()
            got = receiver.wait_for(lambda r: len(r) == 3)
        assert len({r.webhook_id for r in got}) == 1

    def test_retry_after_is_honoured(self, sending_app: Callable[..., FastAPI],
                                     receiver: Receiver,
                                     auth_headers: Callable[..., dict[str, str]],
                                     make_article: Callable[..., Article]) -> None:
        receiver.answer("main", (503, {"retry-after": "2"}))
        with TestClient(sending_app()) as client:
            _endpoint(client, auth_headers("admin"), receiver.url())
            make_article()
            got = receiver.wait_for(lambda r: len(r) == 2, seconds=20)
        # The schedule says 0.3 s; the receiver asked for 2.
        assert got[1].at - got[0].at >= 1.9

    def test_every_attempt_failing_gives_up(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver, session: Session,
            auth_headers: Callable[..., dict[str, str]],
            make_article: Callable[..., Article]) -> None:
        receiver.answer("main", *[(500, {})] * 4)
        with TestClient(sending_app()) as client:
            admin = auth_headers("admin")
            endpoint = _endpoint(client, admin, receiver.url())
            make_article()
            receiver.wait_for(lambda r: len(r) == 4)
            failed = _deliveries(client, admin, endpoint["id"], "failed")
            time.sleep(0.5)
        assert len(receiver.of()) == 4  # one attempt and the three retries of the schedule
        assert failed[0]["attempts"] == 4
        assert failed[0]["next_attempt_at"] is None
        stored = session.get(WebhookEndpoint, endpoint["id"])
        session.refresh(stored)
        assert stored.enabled  # one failed message is not five days of failures

    def test_410_disables_the_endpoint(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver, session: Session,
            auth_headers: Callable[..., dict[str, str]],
            make_article: Callable[..., Article]) -> None:
        receiver.answer("main", (410, {}))
        with TestClient(sending_app()) as client:
            admin = auth_headers("admin")
            endpoint = _endpoint(client, admin, receiver.url())
            make_article()
            receiver.wait_for(lambda r: len(r) == 1)
            deadline = time.monotonic() + 10
            while client.get(f"/v1/editorial/webhooks/{endpoint['id']}",
                             headers=admin).json()["enabled"]:
                assert time.monotonic() < deadline, "the endpoint was never disabled"
                time.sleep(0.05)
            shown = client.get(f"/v1/editorial/webhooks/{endpoint['id']}", headers=admin).json()
            make_article()  # a disabled endpoint gets nothing new
            time.sleep(0.6)
        assert "410" in shown["disabled_reason"]
        assert len(receiver.of()) == 1
        assert session.exec(select(func.count()).select_from(WebhookDelivery)).one() == 1

    def test_five_days_of_failures_disable_the_endpoint(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver, session: Session,
            auth_headers: Callable[..., dict[str, str]],
            make_article: Callable[..., Article]) -> None:
        receiver.answer("main", (500, {}))
        with TestClient(sending_app()) as client:
            admin = auth_headers("admin")
            endpoint = _endpoint(client, admin, receiver.url())
            stored = session.get(WebhookEndpoint, endpoint["id"])
            stored.failing_since = datetime.now(UTC) - timedelta(days=5, minutes=1)
            session.add(stored)
            session.commit()
            make_article()
            receiver.wait_for(lambda r: len(r) == 1)
            deadline = time.monotonic() + 10
            while client.get(f"/v1/editorial/webhooks/{endpoint['id']}",
                             headers=admin).json()["enabled"]:
                assert time.monotonic() < deadline, "the endpoint was never disabled"
                time.sleep(0.05)
            time.sleep(0.6)
        assert len(receiver.of()) == 1  # its pending retry waits for a re-enable


class TestOutboxTransaction:
    def test_a_rolled_back_write_sends_nothing(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver,
            auth_headers: Callable[..., dict[str, str]],
            make_article: Callable[..., Article]) -> None:
        article = make_article(status="draft")
        with TestClient(sending_app()) as client:
            admin = auth_headers("admin")
            _endpoint(client, admin, receiver.url())
            probe = _endpoint(client, admin, receiver.url("probe"), ["article.published"])
            # The app's own engine: the tests' SQLite session runs in autocommit mode.
            with Session(get_write_engine()) as writer:
                mine = writer.get(Article, article.id)
                mine.status, mine.published_at = "published", datetime.now(UTC)
                writer.add(mine)
                writer.flush()
                assert outbox.enqueue_article_event(writer, "article.published", article.id) == 2
                writer.rollback()
            # An API write that fails half-way (a stale If-Match) writes no outbox row either.
            stale = client.post(f"/v1/editorial/articles/{article.id}/publish",
                                headers={**admin, "If-Match": '"0"'})
            assert stale.status_code in (409, 412), stale.text
            client.post(f"/v1/editorial/webhooks/{probe['id']}/test", headers=admin)
            receiver.wait_for(lambda r: len(r) == 1, "probe")  # the sender is alive
            time.sleep(0.5)
        assert receiver.of() == []
        assert [r.json["type"] for r in receiver.of("probe")] == ["ping"]

    def test_one_articles_events_arrive_in_order(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver, session: Session,
            auth_headers: Callable[..., dict[str, str]],
            make_article: Callable[..., Article]) -> None:
        # The first event fails twice; the later ones are committed meanwhile and must wait.
        receiver.answer("main", (500, {}), (500, {}))
        with TestClient(sending_app(KHABAR_WEBHOOK_RETRY_SCHEDULE="0.5,0.5,0.5")) as client:
            _endpoint(client, auth_headers("admin"), receiver.url())
            article = make_article("First")
            article = _update(session, article, title="Second")
            article = _update(session, article, title="Third")
            got = receiver.wait_for(lambda r: len(r) == 5)
            time.sleep(0.3)
        mine = [r.json for r in receiver.of()]
        assert [m["type"] for m in mine] == ["article.published"] * 3 + ["article.updated"] * 2
        assert len({r.webhook_id for r in got}) == 3
        seqs = [m["data"]["seq"] for m in mine[2:]]
        assert seqs == sorted(seqs)


class TestPartnerEndpoints:
    def test_partners_get_only_articles_they_are_entitled_to(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver,
            make_partner: Callable[..., Any], make_article: Callable[..., Article],
            make_section: Callable[..., Any], auth_headers: Callable[..., dict[str, str]],
            ) -> None:
        make_section("politics")
        make_section("sports")
        _, politics_key = make_partner(sections=["politics"])
        _, all_key = make_partner()
        with TestClient(sending_app()) as client:
            prefix = "/v1/syndication/webhooks"
            _endpoint(client, politics_key, receiver.url("politics"), prefix=prefix)
            _endpoint(client, all_key, receiver.url("all"), prefix=prefix)
            _endpoint(client, auth_headers("admin"), receiver.url("newsroom"))
            theirs = make_article("Politics", section="politics")
            make_article("Sports", section="sports")
            make_article("Wire copy", section="politics", rights={
                "copyright_holder": "Wire Agency", "syndication": "denied"})
            receiver.wait_for(lambda r: len(r) == 3, "newsroom")
            receiver.wait_for(lambda r: len(r) == 2, "all")
            time.sleep(0.5)
        assert [r.json["data"]["id"] for r in receiver.of("politics")] == [theirs.id]
        assert len(receiver.of("all")) == 2

    def test_a_partner_losing_an_article_is_told_to_take_it_down(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver, session: Session,
            make_partner: Callable[..., Any], make_article: Callable[..., Article],
            make_section: Callable[..., Any], auth_headers: Callable[..., dict[str, str]],
            ) -> None:
        make_section("politics")
        make_section("sports")
        _, key = make_partner(sections=["politics"])
        with TestClient(sending_app()) as client:
            _endpoint(client, key, receiver.url("partner"), prefix="/v1/syndication/webhooks")
            _endpoint(client, auth_headers("admin"), receiver.url("newsroom"))
            moved = make_article("Moved", section="politics")
            withdrawn = make_article("Withdrawn", section="politics")
            _update(session, moved, section="sports")
            _update(session, withdrawn, rights={"copyright_holder": "Wire Agency",
                                                "syndication": "denied"})
            _update(session, moved, title="Moved, edited")  # never the partner's again
            receiver.wait_for(lambda r: len(r) == 5, "newsroom")
            got = receiver.wait_for(lambda r: len(r) == 4, "partner")
            time.sleep(0.5)
        # Per article in order; the two articles' messages may interleave.
        for article in (moved, withdrawn):
            assert [r.json["type"] for r in got if r.json["data"]["id"] == article.id] == [
                "article.published", "article.unpublished"]
        assert len(receiver.of("partner")) == 4
        assert [r.json["type"] for r in receiver.of("newsroom")].count("article.updated") == 3

    def test_partner_webhook_management_is_scoped_and_checked(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver, session: Session,
            make_partner: Callable[..., Any],
            auth_headers: Callable[..., dict[str, str]]) -> None:
        _, one = make_partner()
        _, two = make_partner()
        prefix = "/v1/syndication/webhooks"
        with TestClient(sending_app()) as client:
            mine = _endpoint(client, one, receiver.url("one"), prefix=prefix)
            admins = _endpoint(client, auth_headers("admin"), receiver.url("newsroom"))
            before = session.exec(select(func.count()).select_from(WebhookEndpoint)).one()
            for other in (mine["id"], admins["id"]):
                for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""),
                                     ("POST", "/rotate-secret"), ("POST", "/test"),
                                     ("GET", "/deliveries")):
                    answer = client.request(method, f"{prefix}/{other}{path}", headers=two,
                                            json={"enabled": False} if method == "PATCH" else None)
                    assert answer.status_code == 404, (method, path, answer.text)
                    assert answer.headers["content-type"] == "application/problem+json"
            assert client.get(prefix, headers=two).json()["data"] == []
            assert [e["id"] for e in client.get(prefix, headers=one).json()["data"]] == [
                mine["id"]]
            briefs = client.post(prefix, headers=two, json={
                "url": receiver.url(), "events": ["brief.published"]})
            assert briefs.status_code == 422
            for _ in range(10):
                _endpoint(client, two, receiver.url("two"), prefix=prefix)
            eleventh = client.post(prefix, headers=two, json={
                "url": receiver.url("two"), "events": ["article.published"]})
            assert eleventh.status_code == 409, eleventh.text
            assert client.get(f"{prefix}?limit=4", headers=two).json()["meta"]["next_cursor"]
            assert session.exec(select(func.count()).select_from(WebhookEndpoint)).one() == (
                before + 10)


class TestManagement:
    @pytest.mark.parametrize("body", [
        {"url": "https://example.org/h", "events": ["article.exploded"]},
        {"url": "https://example.org/h", "events": []},
        {"url": "not a url", "events": ["ping"]},
        {"url": "ftp://example.org/h", "events": ["ping"]},
        {"url": "http://169.254.169.254/latest/meta-data", "events": ["ping"]},
        {"url": "http://[::ffff:169.254.169.254]/", "events": ["ping"]},
        {"url": "http://0.0.0.0:9/", "events": ["ping"]},
        {"url": "https://example.org/h", "events": ["ping"], "secret": "mine"},
    ])
    def test_bad_input_is_a_problem_that_changes_nothing(
            self, client: TestClient, session: Session,
            auth_headers: Callable[..., dict[str, str]], body: dict[str, Any]) -> None:
        answer = client.post("/v1/editorial/webhooks", headers=auth_headers("admin"), json=body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert session.exec(select(func.count()).select_from(WebhookEndpoint)).one() == 0

    def test_only_admins_manage_newsroom_endpoints(
            self, client: TestClient, auth_headers: Callable[..., dict[str, str]]) -> None:
        assert client.get("/v1/editorial/webhooks").status_code == 401
        assert client.get("/v1/editorial/webhooks",
                          headers=auth_headers("editor")).status_code == 403
        assert client.get("/v1/syndication/webhooks").status_code == 401

    def test_patch_list_delete(self, client: TestClient,
                               auth_headers: Callable[..., dict[str, str]]) -> None:
        admin = auth_headers("admin")
        endpoint = _endpoint(client, admin, "https://example.org/a")
        changed = client.patch(f"/v1/editorial/webhooks/{endpoint['id']}", headers=admin,
                               json={"url": "https://example.org/b", "events": ["ping"],
                                     "enabled": False})
        assert changed.status_code == 200, changed.text
        assert changed.json()["url"] == "https://example.org/b"
        assert changed.json()["events"] == ["ping"]
        assert changed.json()["enabled"] is False
        assert "secret" not in changed.json()
        bad = client.patch(f"/v1/editorial/webhooks/{endpoint['id']}", headers=admin,
                           json={"events": ["nope"]})
        assert bad.status_code == 422
        listed = client.get("/v1/editorial/webhooks", headers=admin).json()
        assert [e["id"] for e in listed["data"]] == [endpoint["id"]]
        assert "secret" not in listed["data"][0]
        assert client.delete(f"/v1/editorial/webhooks/{endpoint['id']}",
                             headers=admin).status_code == 204
        assert client.get(f"/v1/editorial/webhooks/{endpoint['id']}",
                          headers=admin).status_code == 404


class TestSecretsPingsRedelivery:
    def test_rotation_signs_with_both_secrets_for_a_day(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver,
            auth_headers: Callable[..., dict[str, str]]) -> None:
        with TestClient(sending_app()) as client:
            admin = auth_headers("admin")
            endpoint = _endpoint(client, admin, receiver.url(), ["ping"])
            rotated = client.post(f"/v1/editorial/webhooks/{endpoint['id']}/rotate-secret",
                                  headers=admin)
            assert rotated.status_code == 200, rotated.text
            new = rotated.json()
            assert new["secret"] != endpoint["secret"]
            assert new["previous_secret_expires_at"]
            client.post(f"/v1/editorial/webhooks/{endpoint['id']}/test", headers=admin)
            got = receiver.wait_for(lambda r: len(r) == 1)
        assert len(got[0].headers["webhook-signature"].split(" ")) == 2
        assert _verify(endpoint["secret"], got[0])["type"] == "ping"
        assert _verify(new["secret"], got[0])["data"] == {"endpoint_id": endpoint["id"]}

    def test_ping_then_redeliver_sends_the_same_message_again(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver,
            auth_headers: Callable[..., dict[str, str]]) -> None:
        with TestClient(sending_app()) as client:
            admin = auth_headers("admin")
            endpoint = _endpoint(client, admin, receiver.url(), ["ping"])
            base = f"/v1/editorial/webhooks/{endpoint['id']}"
            queued = client.post(f"{base}/test", headers=admin)
            assert queued.status_code == 202, queued.text
            delivery_id = queued.json()["id"]
            receiver.wait_for(lambda r: len(r) == 1)
            assert _deliveries(client, admin, endpoint["id"], "succeeded")
            again = client.post(f"{base}/deliveries/{delivery_id}/redeliver", headers=admin)
            assert again.status_code == 202, again.text
            got = receiver.wait_for(lambda r: len(r) == 2)
            unknown = client.post(f"{base}/deliveries/msg_nope/redeliver", headers=admin)
            pending = client.get(f"{base}/deliveries?status=pending", headers=admin).json()
            bad_status = client.get(f"{base}/deliveries?status=lost", headers=admin)
        assert [r.webhook_id for r in got] == [delivery_id, delivery_id]
        assert unknown.status_code == 404
        assert bad_status.status_code == 422
        assert pending["data"] == [] or pending["data"][0]["id"] == delivery_id


def test_deleting_an_endpoint_removes_its_outbox(
        session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]],
        make_article: Callable[..., Article]) -> None:
    admin = auth_headers("admin")
    endpoint = _endpoint(client, admin, "https://example.org/hook")
    make_article()
    assert session.exec(select(func.count()).select_from(WebhookDelivery).where(
        col(WebhookDelivery.endpoint_id) == endpoint["id"])).one() == 1
    client.delete(f"/v1/editorial/webhooks/{endpoint['id']}", headers=admin)
    assert session.exec(select(func.count()).select_from(WebhookDelivery)).one() == 0
