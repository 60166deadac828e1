"""Accounts over HTTP: register, tokens, sessions with CSRF, logout."""

from __future__ import annotations

import httpx


async def register(
    client: httpx.AsyncClient, name: str = "alice", password: str = "correct horse"
) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"username": name, "password": password}
    )
    assert response.status_code == 201, response.text


async def token_for(
    client: httpx.AsyncClient, name: str = "alice", password: str = "correct horse"
) -> str:
    response = await client.post(
        "/api/v1/auth/token", json={"username": name, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def test_register_then_token_then_me(client: httpx.AsyncClient) -> None:
    await register(client)
    token = await token_for(client)
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "alice"


async def test_token_response_is_bearer(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.post(
        "/api/v1/auth/token", json={"username": "alice", "password": "correct horse"}
    )
    assert set(response.json()) == {"access_token", "token_type"}
    assert response.json()["token_type"] == "bearer"


async def test_duplicate_username_is_conflict_whatever_the_case(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.post(
        "/api/v1/auth/register", json={"username": "ALICE", "password": "another one"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "username_taken"


async def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    wrong = await client.post(
        "/api/v1/auth/token", json={"username": "alice", "password": "nope nope"}
    )
    unknown = await client.post(
        "/api/v1/auth/token", json={"username": "bob", "password": "nope nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_short_password_and_bad_username_are_refused_with_reasons(
    client: httpx.AsyncClient,
) -> None:
    short = await client.post(
        "/api/v1/auth/register", json={"username": "carol", "password": "short"}
    )
    assert short.status_code == 422
    assert short.json()["error"]["code"] == "bad_password"
    bad = await client.post(
        "/api/v1/auth/register", json={"username": "a b<script>", "password": "long enough"}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "bad_username"


async def test_malformed_json_gets_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert set(response.json()["error"]) == {"code", "message"}


async def test_password_is_stored_as_argon2_hash(client: httpx.AsyncClient, adapters) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from clipcast.accounts.models import User

    await register(client)
    async with adapters.sessions() as session:
        user = await session.scalar(select(User))
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash


async def test_logout_revokes_the_bearer_token(client: httpx.AsyncClient) -> None:
    await register(client)
    token = await token_for(client)
    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.post("/api/v1/auth/logout", headers=auth)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=auth)).status_code == 401


async def test_session_cookie_is_httponly_and_unsafe_requests_need_csrf(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    response = await client.post(
        "/api/v1/auth/session", json={"username": "alice", "password": "correct horse"}
    )
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("clipcast_session="))
    assert "httponly" in session_cookie.lower()
    assert "samesite=lax" in session_cookie.lower()
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    without = await client.post("/api/v1/auth/logout")
    assert without.status_code == 403
    assert without.json()["error"]["code"] == "csrf"
    csrf = client.cookies["clipcast_csrf"]
    with_header = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert with_header.status_code == 204
    client.cookies.clear()
    assert (await client.get("/api/v1/auth/me")).status_code == 401
