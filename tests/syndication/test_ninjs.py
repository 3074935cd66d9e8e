"""Every ninjs document validates against the official schema of its version (offline)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.syndication import ninjs

SCHEMAS = Path(__file__).parents[1] / "fixtures" / "ninjs"  # copied from the IPTC (CC BY 4.0)
GEOJSON_URI = "https://geojson.org/schema/GeoJSON.json"
# UTC with Z: Superdesk's ninjs parser takes nothing else (strptime '%Y-%m-%dT%H:%M:%S+0000' or Z).
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
S = "/v1/syndication"


def validator(version: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / f"ninjs-schema_{version}.json").read_text())
    geojson = json.loads((SCHEMAS / "GeoJSON-schema.json").read_text())
    # The ninjs schemas $ref GeoJSON by URL: serve it from the bundled copy, never the network.
    registry = Registry().with_resource(
        GEOJSON_URI, Resource.from_contents(geojson, default_specification=DRAFT202012))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def validators() -> dict[str, jsonschema.protocols.Validator]:
    return {v: validator(v) for v in ninjs.VERSIONS}


@pytest.fixture
def articles(make_section, make_article):  # type: ignore[no-untyped-def]
    make_section("opinion", "Opinion")
    return [
        make_article("Plain"),
        make_article(
            "North Korea’s nuclear path", section="opinion", subtitle="A sub", excerpt="Short",
            tags=["North Korea", "Nuclear"], language="en",
            source={"name": "Project Syndicate", "url": "https://www.project-syndicate.org"},
            rights={"copyright_holder": "Project Syndicate", "syndication": "allowed",
                    "usage_terms": "Republish with credit"},
            image={"url": "https://cdn.example.com/a.jpg", "caption": "Caption", "credit": "AP",
                   "width": 1200, "height": 800},
            body_html="<p>One <strong>two</strong></p><blockquote>Q</blockquote>", body_text=None),
        make_article("काठमाडौंमा बजेट", language="ne", image={"url": "/relative.jpg"}),
    ]


@pytest.mark.parametrize("version", ninjs.VERSIONS)
def test_documents_validate(client, articles, make_partner, validators, version):
    _, headers = make_partner()
    r = client.get(f"{S}/articles", headers=headers,
                   params={"format": "ninjs", "ninjs_version": version})
    docs = r.json()["data"]
    assert len(docs) == len(articles)
    for doc in docs:
        errors = sorted(validators[version].iter_errors(doc), key=str)
        assert not errors, [e.message for e in errors]
        created = doc.get("versionCreated") or doc["versioncreated"]
        assert UTC_TIME.match(created)
        assert doc["uri"].startswith("urn:khabar:")
    detail = client.get(f"{S}/articles/{articles[1].id}", headers=headers,
                        params={"format": "ninjs", "ninjs_version": version}).json()
    assert not list(validators[version].iter_errors(detail))


def test_mapping_3_1(client, articles, make_partner):
    _, headers = make_partner()
    doc = client.get(f"{S}/articles/{articles[1].id}?format=ninjs", headers=headers).json()
    assert doc["type"] == "text"
    assert doc["pubStatus"] == "usable"
    assert doc["headlines"][0] == {"role": "main", "value": "North Korea’s nuclear path"}
    assert doc["people"][0]["rel"] == "author"
    assert {"name": "Opinion", "rel": "section", "literal": "section:opinion"} in doc["subjects"]
    assert doc["copyrightHolder"] == "Project Syndicate"
    assert doc["usageTerms"] == "Republish with credit"
    assert doc["associations"][0]["type"] == "picture"
    assert doc["associations"][0]["renditions"][0]["href"] == "https://cdn.example.com/a.jpg"
    assert "<strong>two</strong>" in doc["bodies"][0]["value"]


def test_mapping_1_6_puts_the_body_in_body_html(client, articles, make_partner):
    _, headers = make_partner()
    doc = client.get(f"{S}/articles/{articles[1].id}?format=ninjs&ninjs_version=1.6",
                     headers=headers).json()
    assert "<strong>two</strong>" in doc["body_html"]
    assert doc["headline"] == "North Korea’s nuclear path"
    assert doc["associations"]["featureimage"]["renditions"]["original"]["width"] == 1200



@pytest.mark.parametrize("version", ninjs.VERSIONS)
def test_the_validator_rejects_what_the_schema_forbids(validators, version):
    assert list(validators[version].iter_errors({"uri": "urn:x:y", "bogus": 1}))
    created = "versionCreated" if version == "3.1" else "versioncreated"
    assert list(validators[version].iter_errors({"uri": "urn:x:y", created: "yesterday"}))
