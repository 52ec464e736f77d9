"""Each method decorator of the router registers its own method, and only that one."""

from __future__ import annotations

import pytest

from escalations.runtime.http import Request, Response, Router, json_response


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_each_decorator_serves_its_method_only(method: str) -> None:
    router = Router()
    decorate = {"GET": router.get, "POST": router.post, "PUT": router.put, "DELETE": router.delete}

    @decorate[method]("/things/{id}")
    def handler(request: Request) -> Response:
        return json_response({"method": request.method, "id": request.path_params["id"]})

    ok = router.dispatch(Request.build(method, "/things/7"))
    assert ok.status == 200 and ok.json() == {"method": method, "id": "7"}
    for other in {"GET", "POST", "PUT", "DELETE"} - {method}:
        refused = router.dispatch(Request.build(other, "/things/7"))
        assert refused.status == 405 and refused.header("Allow") == method
