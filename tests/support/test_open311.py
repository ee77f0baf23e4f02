"""Open311 GeoReport v2: the spec's paths, field names and formats, for civic apps and the city hotline."""

from xml.etree import ElementTree

import pytest

from tests.auth.factories import bearer

REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip


def _file(client, token, tiny, **extra):
    form = {"jurisdiction_id": tiny.a.committee.code, "service_code": "groceries", "description": "no rice left",
            "address_id": str(tiny.a.households[0].id), "phone": "13912345678"} | extra  # fmt: skip
    return client.post("/open311/v2/requests.json", data=form, params={"api_key": token})


def test_services_list_the_categories_with_the_specs_fields_in_json_and_xml(client, tokens):
    services = client.get("/open311/v2/services.json", params={"api_key": tokens["grid_a"]}).json()
    assert {s["service_code"] for s in services} == {"groceries", "medicine", "garbage", "emergency", "other"}
    assert set(services[0]) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    xml = client.get("/open311/v2/services.xml", params={"api_key": tokens["grid_a"]})
    assert xml.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "services" and len(root.findall("service")) == 5
    assert root.find("service/service_code").text == "groceries"


def test_the_emergency_definition_asks_for_the_condition(client, tokens):
    definition = client.get("/open311/v2/services/emergency.json", headers=bearer(tokens["grid_a"])).json()
    condition = next(a for a in definition["attributes"] if a["code"] == "condition")
    assert condition["datatype"] == "singlevaluelist" and condition["required"] is True
    assert {"key": "dialysis", "name": "Dialysis due"} in condition["values"]
    root = ElementTree.fromstring(
        client.get("/open311/v2/services/emergency.xml", headers=bearer(tokens["grid_a"])).content
    )
    assert root.tag == "service_definition"
    assert [v.text for v in root.findall("attributes/attribute/values/value/key")][:1] == ["dialysis"]


def test_a_hotline_files_a_request_and_reads_it_back(client, tokens, tiny):
    created = _file(client, tokens["district_a"], tiny)
    assert created.status_code == 200, created.text
    [answer] = created.json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    one = client.get(f"/open311/v2/requests/{answer['service_request_id']}.json", params={"api_key": tokens["grid_a"]})
    [request] = one.json()
    assert set(request) == REQUEST_FIELDS
    assert (request["status"], request["service_code"], request["address_id"]) == (
        "open", "groceries", str(tiny.a.households[0].id))  # fmt: skip
    listed = client.get("/open311/v2/requests.xml", params={"api_key": tokens["grid_a"], "status": "open"})
    root = ElementTree.fromstring(listed.content)
    assert root.tag == "service_requests"
    assert [r.find("service_request_id").text for r in root.findall("request")] == [answer["service_request_id"]]
    ticket = client.get(f"/api/tickets/{answer['service_request_id']}", headers=bearer(tokens["grid_a"])).json()
    assert ticket["channel"] == "open311"


def test_an_emergency_needs_its_condition_and_errors_take_the_specs_shape(client, tokens, tiny):
    missing = _file(client, tokens["grid_a"], tiny, service_code="emergency")
    assert missing.status_code == 400
    [error] = missing.json()
    assert error["code"] == 400 and "condition" in error["description"]
    ok = _file(client, tokens["grid_a"], tiny, service_code="emergency", **{"attribute[condition]": "dialysis"})
    assert "call 120" in ok.json()[0]["service_notice"]
    form = {"jurisdiction_id": tiny.a.committee.code, "service_code": "potholes", "description": "x"}
    unknown = client.post("/open311/v2/requests.xml", data=form, params={"api_key": tokens["grid_a"]})
    assert unknown.status_code == 404
    assert ElementTree.fromstring(unknown.content).find("error/code").text == "404"


@pytest.mark.parametrize("who", ["grid_b", "resident_a"])
def test_a_jurisdiction_outside_the_callers_areas_is_refused(client, tokens, tiny, who):
    response = _file(client, tokens[who], tiny)
    assert response.status_code in (403, 404)
    assert "description" in response.json()[0]


def test_without_a_key_open311_answers_401_in_its_own_shape(client):
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 401 and response.json()[0]["code"] == 401
