"""The API's OpenAPI 3.1 description, and schemathesis against the live app:
no server error, every response as described."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from portal.content.jobfacts import EmploymentType, LanguageRequirement
from tests.conftest import LANGUAGES

OPERATIONS = ["/api/v1/postings", "/api/v1/postings/{key}"]
#: Postings that exist (open, hidden from the listing, draft), besides the keys generated at random.
KEYS = ["senior-python-developer", "head-product-management", "talent-pool-developers", "data-analyst"]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("path", OPERATIONS)
def test_every_response_is_as_described(app, path, mode):
    # schemathesis.pytest.from_fixture does not run under pytest 9 (it sets a
    # node attribute pytest no longer has): the same cases, through Hypothesis.
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode), key=st.sampled_from([None, *KEYS]))
    @settings(max_examples=30, derandomize=True, deadline=None, database=None)
    def check(case, key):
        if key is not None and case.path_parameters:
            case.path_parameters["key"] = key
        case.call_and_validate()

    check()


def test_description_is_openapi_3_1_with_the_vocabularies_of_the_content(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/api/v1/postings", "/api/v1/postings/{key}"}
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in document["paths"]["/api/v1/postings"]["get"]["parameters"]
        if "name" in parameter
    }
    # Empty: no filter, as the jobs page's form sends a field left blank.
    assert parameters["employment"]["enum"] == [*(member.value for member in EmploymentType), ""]
    assert parameters["language"]["enum"] == [*(member.value for member in LanguageRequirement), ""]
    assert "QC" in parameters["where"]["enum"] and "remote" in parameters["where"]["enum"]
    assert document["components"]["parameters"]["lang"]["schema"]["enum"] == [*LANGUAGES, ""]
    responses = document["paths"]["/api/v1/postings/{key}"]["get"]["responses"]
    assert {"200", "304", "400", "404", "410"} <= set(responses)
