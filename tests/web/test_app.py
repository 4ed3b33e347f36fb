"""The review web app through Starlette's TestClient, on SQLite and (when CI provides it) PostgreSQL."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from typer.testing import CliRunner

from pipeline.cli import app as cli_app
from pipeline.config import Config, FeedConfig
from pipeline.db import NewItem, Store, create_db_engine, migrate
from pipeline.records import Finding, Relation, ReviewState
from pipeline.web import create_app
from pipeline.web.views import PAGE_SIZE

with warnings.catch_warnings():
    # Starlette 1.x asks for the `httpx2` fork for its TestClient; `httpx` (installed) still works.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

ROOT = Path(__file__).parent.parent.parent
BASELINE = ROOT / "config" / "baselines" / "bakhmut-2023-01-26.toml"
NOW = datetime(2023, 3, 1, 12, 0, tzinfo=UTC)
BASE_URL = "http://127.0.0.1:8080"
HOSTILE_TITLE = "<script>alert('title')</script>Bakhmut news"
HOSTILE_EVIDENCE = "Bakhmut fell <img src=x onerror=alert(1)> say <b>officials</b>."


def new_item(n: int, published: datetime, **changes: str) -> NewItem:
    return NewItem(
        canonical_url=changes.get("url", f"https://news.example/{n}"),
        url=changes.get("url", f"https://news.example/{n}"),
        guid=f"guid-{n}",
        title=changes.get("title", f"Report {n} from the front"),
        summary=f"Summary {n}",
        published=published,
        content_hash=f"hash-{n}",
    )


def finding(claim_id: str, relation: Relation, evidence: str) -> Finding:
    return Finding(
        claim_id=claim_id,
        relation=relation,
        places=("Bakhmut",),
        evidence=evidence,
        score=0.8,
        reasons=("place: 'Bakhmut' → Bakhmut",),
    )


class Seeded:
    """The ids the seed wrote, by name."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ids: dict[str, int] = {}

    def add(self, name: str, n: int, published: datetime, found: Finding, **item: str) -> int:
        [stored] = self.store.add_items("wire", [new_item(n, published, **item)], now=NOW)
        self.store.save_findings(stored.id, [found], now=NOW)
        [row] = [f for f in self.store.findings(claim_id=found.claim_id) if f.item_id == stored.id]
        self.ids[name] = row.id
        return row.id


@pytest.fixture
def config(database_url: str) -> Config:
    return Config.model_validate({"database": {"url": database_url}, "baseline": {"file": str(BASELINE)}})


@pytest.fixture
def seeded(config: Config) -> Iterator[Seeded]:
    engine = create_db_engine(config.database.url)
    migrate(engine)
    with Store(engine) as store:
        store.sync_feeds([FeedConfig(name="wire", url="https://news.example/rss")])
        seed = Seeded(store)
        day = datetime(2023, 2, 10, 9, 0, tzinfo=UTC)
        seed.add(
            "confirm", 1, day, finding("bakhmut-battle", Relation.CONFIRMS, "Ukraine still holds Bakhmut.")
        )
        seed.add(
            "contradict",
            2,
            day + timedelta(days=5),
            finding("bakhmut-battle", Relation.CONTRADICTS, "Russia captured Bakhmut, officials say."),
        )
        seed.add(
            "hostile",
            3,
            day + timedelta(days=1),
            finding("soledar-fell", Relation.CONFIRMS, HOSTILE_EVIDENCE),
            title=HOSTILE_TITLE,
            url="javascript:alert(document.cookie)",
        )
        yield seed


@pytest.fixture
def client(config: Config, seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(config, now=lambda: NOW), base_url=BASE_URL) as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def post(
    client: TestClient, path: str, data: dict[str, str], *, referer: str | None = None, **headers: str
) -> Response:
    sent = {"origin": BASE_URL, **({"referer": referer} if referer else {}), **headers}
    # Typed by hand: Starlette types its TestClient against `httpx2`, which is not installed.
    response: Response = client.post(path, data=data, headers=sent, follow_redirects=False)
    return response


def finding_block(html: str, finding_id: int) -> str:
    match = re.search(rf'<(li|article|div)[^>]*id="finding-{finding_id}"[^>]*>', html)
    assert match, f"finding {finding_id} not on the page"
    return html[match.start() : match.start() + 4000]


def claim_status(html: str) -> str:
    match = re.search(r'<h1>.*?class="status (\w+)"', html, re.S)
    assert match, "no status in the page's heading"
    return match.group(1)


# -- pages -------------------------------------------------------------------------------


def test_report_page_has_every_finding_with_review_forms(client: TestClient, seeded: Seeded) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    token = csrf_of(html)
    for name in ("confirm", "contradict", "hostile"):
        finding_id = seeded.ids[name]
        assert f'action="/findings/{finding_id}/accept"' in html
        assert f'formaction="/findings/{finding_id}/dismiss"' in html or (
            f'action="/findings/{finding_id}/dismiss"' in html
        )
        assert 'data-review="pending"' in finding_block(html, finding_id)
    assert 'href="/claims/bakhmut-battle"' in html
    assert 'href="/?since=2023-02-23"' in html  # the navigation: the last 7 days, today included
    # Forms must carry a real Origin: under `no-referrer` browsers send `Origin: null`.
    assert 'content="no-referrer"' not in html
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none': no script
    assert token == csrf_of(client.get("/claims/bakhmut-battle").text)  # one token per app


def test_report_window_comes_from_the_query(client: TestClient, seeded: Seeded) -> None:
    html = client.get("/", params={"since": "2023-02-15", "until": "2023-02-15"}).text
    assert f'id="finding-{seeded.ids["contradict"]}"' in html
    assert f'id="finding-{seeded.ids["confirm"]}"' not in html
    assert f'id="finding-{seeded.ids["hostile"]}"' not in html


def test_claim_page_is_the_whole_history_newest_first(client: TestClient, seeded: Seeded) -> None:
    response = client.get("/claims/bakhmut-battle")
    assert response.status_code == 200
    html = response.text
    assert "Ukraine still holds Bakhmut after a long, costly battle" in html  # the baseline claim
    newest, oldest = seeded.ids["contradict"], seeded.ids["confirm"]
    assert html.index(f'id="finding-{newest}"') < html.index(f'id="finding-{oldest}"')
    assert f'id="finding-{seeded.ids["hostile"]}"' not in html  # another claim's
    assert claim_status(html) == "contradicted"


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


# -- review actions ----------------------------------------------------------------------


def test_accept_writes_at_once_and_goes_back_to_the_finding(client: TestClient, seeded: Seeded) -> None:
    finding_id = seeded.ids["confirm"]
    token = csrf_of(client.get("/claims/bakhmut-battle").text)
    response = post(
        client,
        f"/findings/{finding_id}/accept",
        {"csrf": token, "note": "  checked with the ISW map  "},
        referer=f"{BASE_URL}/claims/bakhmut-battle?page=1",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/claims/bakhmut-battle?page=1#finding-{finding_id}"
    stored = seeded.store.finding(finding_id)
    assert stored is not None
    assert (stored.review_state, stored.note, stored.reviewed_at) == (
        ReviewState.ACCEPTED,
        "checked with the ISW map",
        NOW,
    )
    block = finding_block(client.get("/claims/bakhmut-battle").text, finding_id)
    assert 'data-review="accepted"' in block
    assert "checked with the ISW map" in block


def test_dismissing_the_latest_finding_changes_the_claim_status(client: TestClient, seeded: Seeded) -> None:
    finding_id = seeded.ids["contradict"]
    token = csrf_of(client.get("/").text)
    response = post(client, f"/findings/{finding_id}/dismiss", {"csrf": token}, referer=f"{BASE_URL}/")
    assert (response.status_code, response.headers["location"]) == (303, f"/#finding-{finding_id}")
    stored = seeded.store.finding(finding_id)
    assert stored is not None
    assert stored.review_state is ReviewState.DISMISSED
    assert stored.note is None
    claim_page = client.get("/claims/bakhmut-battle").text
    assert 'data-review="dismissed"' in finding_block(claim_page, finding_id)  # still listed, marked
    assert claim_status(claim_page) == "unchanged"
    report = client.get("/").text
    assert 'data-review="dismissed"' in finding_block(report, finding_id)  # listed apart
    assert f'action="/findings/{finding_id}/accept"' in report  # and can be restored


def test_without_a_referer_the_browser_goes_to_the_report(client: TestClient, seeded: Seeded) -> None:
    token = csrf_of(client.get("/").text)
    finding_id = seeded.ids["confirm"]
    response = client.post(f"/findings/{finding_id}/accept", data={"csrf": token}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, f"/#finding-{finding_id}")


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        pytest.param({}, {}, id="no-token"),
        pytest.param({"csrf": "not-the-token"}, {}, id="wrong-token"),
        pytest.param({"csrf": "токен"}, {}, id="non-ascii-token"),
        pytest.param({"csrf": "TOKEN"}, {"origin": "http://evil.example"}, id="foreign-origin"),
        pytest.param({"csrf": "TOKEN"}, {"origin": "null"}, id="null-origin"),
        pytest.param({"csrf": "TOKEN"}, {"origin": "http://127.0.0.1:9999"}, id="other-port"),
    ],
)
def test_forged_posts_are_refused(
    client: TestClient, seeded: Seeded, data: dict[str, str], headers: dict[str, str]
) -> None:
    token = csrf_of(client.get("/").text)
    data = {key: token if value == "TOKEN" else value for key, value in data.items()}
    finding_id = seeded.ids["confirm"]
    response = post(client, f"/findings/{finding_id}/dismiss", data, **headers)
    assert response.status_code == 403
    assert "Refused" in response.text
    stored = seeded.store.finding(finding_id)
    assert stored is not None
    assert stored.review_state is ReviewState.PENDING


def test_a_foreign_referer_without_origin_is_refused(client: TestClient, seeded: Seeded) -> None:
    token = csrf_of(client.get("/").text)
    response = client.post(
        f"/findings/{seeded.ids['confirm']}/accept",
        data={"csrf": token},
        headers={"referer": "https://evil.example/page"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_a_foreign_host_header_is_refused(client: TestClient) -> None:
    # DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends Host: evil.example.
    response = client.get("/", headers={"host": "evil.example:8080"})
    assert response.status_code == 400
    assert client.get("/healthz", headers={"host": "localhost:8080"}).status_code == 200


# -- errors ------------------------------------------------------------------------------


def test_unknown_things_are_404_pages(client: TestClient, seeded: Seeded) -> None:
    token = csrf_of(client.get("/").text)
    assert post(client, "/findings/999999/accept", {"csrf": token}).status_code == 404
    assert post(client, f"/findings/{seeded.ids['confirm']}/archive", {"csrf": token}).status_code == 404
    assert post(client, "/findings/abc/accept", {"csrf": token}).status_code == 404
    response = client.get("/claims/no-such-claim")
    assert response.status_code == 404
    assert "no claim &#39;no-such-claim&#39;" in response.text
    assert client.get("/claims/bakhmut-battle", params={"page": "2"}).status_code == 404
    assert client.get("/nothing-here").status_code == 404


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/?since=yesterday", "since: not a date YYYY-MM-DD"),
        ("/?until=2023-02-30", "until: not a date YYYY-MM-DD"),
        ("/?since=2023-03-01&until=2023-02-01", "the window is empty"),
        ("/claims/bakhmut-battle?page=0", "page: not a page number"),
        ("/claims/bakhmut-battle?page=two", "page: not a page number"),
    ],
)
def test_bad_parameters_are_400_with_a_message(client: TestClient, path: str, message: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert message in response.text


def test_a_long_note_is_400_and_get_on_an_action_is_405(client: TestClient, seeded: Seeded) -> None:
    token = csrf_of(client.get("/").text)
    finding_id = seeded.ids["confirm"]
    response = post(client, f"/findings/{finding_id}/accept", {"csrf": token, "note": "x" * 2001})
    assert response.status_code == 400
    assert client.get(f"/findings/{finding_id}/accept").status_code == 405


# -- hostile feed text -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/claims/soledar-fell"])
def test_hostile_feed_text_is_inert(client: TestClient, seeded: Seeded, path: str) -> None:
    html = client.get(path).text
    block = finding_block(html, seeded.ids["hostile"])
    assert "&lt;script&gt;alert(" in block
    assert "&lt;img src=x onerror=alert(1)&gt;" in block
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>officials" not in html
    assert not re.search(r"href=[\"']?\s*javascript:", html, re.IGNORECASE)


# -- pagination --------------------------------------------------------------------------


def test_claim_pages_hold_fifty_findings_each(config: Config, seeded: Seeded) -> None:
    start = datetime(2023, 2, 1, tzinfo=UTC)
    total = 2 * PAGE_SIZE + 20
    for n in range(total):
        seeded.add(
            f"many-{n}",
            100 + n,
            start + timedelta(hours=n),
            finding("klishchiivka-taken", Relation.CONFIRMS, f"Russia holds Klishchiivka, report {n}."),
        )
    expected = [seeded.ids[f"many-{n}"] for n in reversed(range(total))]  # newest first
    seen: list[int] = []
    with TestClient(create_app(config, now=lambda: NOW), base_url=BASE_URL) as client:
        for page in (1, 2, 3):
            html = client.get("/claims/klishchiivka-taken", params={"page": str(page)}).text
            seen += [int(i) for i in re.findall(r'id="finding-(\d+)"', html)]
            assert ('rel="next"' in html) == (page < 3)
            assert ('rel="prev"' in html) == (page > 1)
        assert client.get("/claims/klishchiivka-taken", params={"page": "4"}).status_code == 404
    assert seen == expected


# -- the command -------------------------------------------------------------------------


def test_web_command_warns_when_not_on_loopback(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[tuple[str, int]] = []

    def run(app: Any, host: str, port: int, **_: object) -> None:
        with TestClient(app, base_url=f"http://{host}:{port}") as client:  # runs the lifespan: store closed
            assert client.get("/healthz").status_code == 200
        served.append((host, port))

    monkeypatch.setattr("uvicorn.run", run)
    config = tmp_path / "newswatch.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n[baseline]\nfile = "{BASELINE}"\n')
    runner = CliRunner()
    quiet = runner.invoke(cli_app, ["--config", str(config), "web", "--port", "8099"])
    loud = runner.invoke(cli_app, ["--config", str(config), "web", "--host", "0.0.0.0"])
    assert (quiet.exit_code, loud.exit_code) == (0, 0)
    assert served == [("127.0.0.1", 8099), ("0.0.0.0", 8080)]
    assert "WARNING" not in quiet.stderr
    assert "http://127.0.0.1:8099/" in quiet.stderr
    assert "WARNING" in loud.stderr
    assert "no login" in loud.stderr
