"""Property-based API testing from the OpenAPI schema: no generated request may cause a server error."""

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.auth.factories import bearer

CALLERS = ("command", "district_a", "resident_a", None)  # None: anonymous


def test_no_generated_request_causes_a_server_error(app, tokens):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def no_server_error(case):
            for caller in CALLERS:
                response = case.call(headers=bearer(tokens[caller]) if caller else {})
                if response.status_code >= 500:
                    failures.append((caller, case.method, case.path, case.path_parameters, case.query, case.body))
                    raise AssertionError(response.text[:300])

        no_server_error()
    assert failures == []
