"""Abuse and privacy: photos judged by their bytes and stripped of EXIF (GPS included), the rate
and size limits, the honeypot, descriptions escaped, rejected reports hidden."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image
from reporting import ADMIN, AREA, settings

from basuracero.api.report_intake import RateLimit
from basuracero.service import create_app

BASE = "/open311/v2"
GPS_IFD = 0x8825


def photo_with_gps(kind: str = "JPEG") -> bytes:
    """A phone-like photo: GPS position, camera make, and an orientation tag (rotated 90°)."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = image.getexif()
    exif[0x010F] = "PhoneMakerXYZ"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "S", 2: (8.0, 5.0, 30.0), 3: "W", 4: (79.0, 1.0, 45.0)})
    out = io.BytesIO()
    image.save(out, format=kind, exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the GPS is really there
    return data


def post_photo(
    client: TestClient, point: tuple[float, float], data: bytes, name: str, kind: str = "image/jpeg"
):  # type: ignore[no-untyped-def]
    body = {"service_code": "punto-critico", "lat": point[0], "long": point[1]}
    return client.post(f"{BASE}/requests.json", data=body, files={"media": (name, data, kind)})


def test_a_photo_with_gps_exif_is_stored_without_any_metadata(
    client: TestClient, inside: tuple[float, float]
) -> None:
    for kind in ("JPEG", "PNG", "WEBP"):
        answer = post_photo(client, inside, photo_with_gps(kind), "IMG_0001.jpg")
        assert answer.status_code == 201, answer.text
        rid = answer.json()[0]["service_request_id"]
        report = client.get(f"{BASE}/requests/{rid}.json").json()[0]
        assert report["media_url"].endswith(f"/open311/v2/media/{rid}.jpg")
        served = client.get(report["media_url"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        stored = Image.open(io.BytesIO(served.content))
        assert stored.format == "JPEG" and dict(stored.getexif()) == {}
        assert b"Exif" not in served.content and b"PhoneMakerXYZ" not in served.content
        if kind == "JPEG":
            assert stored.size == (48, 64)  # turned upright before the tag was dropped


def test_a_photo_is_judged_by_its_bytes_not_its_name(
    client: TestClient, inside: tuple[float, float]
) -> None:
    png = io.BytesIO()
    Image.new("RGB", (10, 10)).save(png, format="PNG")
    assert post_photo(client, inside, png.getvalue(), "foto.jpg").status_code == 201
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    for data, name in (
        (gif.getvalue(), "foto.jpg"),
        (b"<svg onload=alert(1)>", "x.png"),
        (b"\xff\xd8\xff" + b"\x00" * 100, "broken.jpg"),
    ):
        refused = post_photo(client, inside, data, name)
        assert refused.status_code == 400 and "media" in refused.json()[0]["description"]
    assert len(client.get(f"{BASE}/requests.json").json()) == 1


def test_the_sixth_report_in_an_hour_from_one_address_waits(
    client: TestClient, inside: tuple[float, float]
) -> None:
    client.app.state.report_limit = RateLimit(limit=5, window_s=3600)
    body = {"service_code": "otro", "lat": inside[0], "long": inside[1]}
    for _ in range(5):
        assert client.post(f"{BASE}/requests.json", data=body).status_code == 201
    refused = client.post(f"{BASE}/requests.json", data=body)
    assert refused.status_code == 429
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.json()[0]["code"] == 429
    assert len(client.get(f"{BASE}/requests.json").json()) == 5
    page = client.post("/reportar", data=body)  # the page shares the limit
    assert page.status_code == 429 and "Retry-After" in page.headers


def test_size_limits_answer_413_and_long_text_400(
    tmp_path: Path, inside: tuple[float, float]
) -> None:
    app = create_app(settings(tmp_path, max_body_bytes=300_000))
    app.state.report_limit = RateLimit(limit=100)
    small = replace(AREA.reports, max_photo_mb=0.05)
    app.state.areas[AREA.id] = replace(AREA, reports=small)
    with TestClient(app) as client:
        big = io.BytesIO()
        Image.effect_noise((250, 250), 100).convert("RGB").save(big, "PNG")
        assert 50_000 < len(big.getvalue()) < 300_000
        over = post_photo(client, inside, big.getvalue(), "big.png")
        assert over.status_code == 413 and "media" in over.json()[0]["description"]
        body = {"service_code": "otro", "lat": inside[0], "long": inside[1]}
        huge = client.post(
            f"{BASE}/requests.json",
            data=body,
            files={"media": ("x.jpg", b"\xff" * 400_000, "image/jpeg")},
        )
        assert huge.status_code == 413
        long_text = client.post(f"{BASE}/requests.json", data=body | {"description": "x" * 4001})
        assert long_text.status_code == 400
        assert long_text.json()[0]["description"].startswith("description")
        assert (
            client.post(
                f"{BASE}/requests.json", data=body | {"description": "x" * 4000}
            ).status_code
            == 201
        )


def test_descriptions_are_escaped_and_rejected_reports_hidden_with_their_photo(
    client: TestClient, inside: tuple[float, float]
) -> None:
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    answer = client.post(
        f"{BASE}/requests.json",
        files={"media": ("a.jpg", photo_with_gps())},
        data={
            "service_code": "punto-critico",
            "lat": inside[0],
            "long": inside[1],
            "description": evil,
        },
    )
    rid = answer.json()[0]["service_request_id"]
    page = client.get(f"/reportar/{rid}").text
    assert "<script>alert(2)" not in page and "&lt;script&gt;alert(2)" in page
    assert "<img src=x" not in page
    media_url = client.get(f"{BASE}/requests/{rid}.json").json()[0]["media_url"]
    assert client.get(media_url).status_code == 200
    rejected = client.post(
        f"/api/v1/reports/{rid}/reject", json={"reason": "ofensivo"}, headers=ADMIN
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert client.get(media_url).status_code == 404
    assert client.get(f"{BASE}/requests.json").json() == []
    public = client.get(f"{BASE}/requests/{rid}.json").json()[0]
    assert public["status"] == "closed" and public["description"] == ""
    assert public["media_url"] is None and "ofensivo" not in str(public)
    assert "onerror" not in client.get(f"/reportar/{rid}").text
