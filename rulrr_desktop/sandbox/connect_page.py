"""The sandbox's Connect page flow: sign in as the merchant, choose a store, Connect or Cancel.

Between steps the merchant's sign-in travels in a hidden, HMAC-signed form field rather than a cookie, so the
flow works where cookies do not: an off-the-record QWebEngineProfile, a cross-site iframe, a strict browser.
Every POST re-checks the integration, so a token that expires or is settled meanwhile ends on a clear page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from rulrr_desktop.sandbox import connect_html, spec
from rulrr_desktop.sandbox.bodies import media_type, read_body
from rulrr_desktop.sandbox.responses import ApiFailure
from rulrr_desktop.sandbox.routing import route
from rulrr_desktop.sandbox.state import SandboxState

HTML_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
FORM_MAX_BYTES = 16 * 1024
SESSION_LIFE_S = spec.INTEGRATION_TOKEN_LIFE_S


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=HTML_HEADERS)


class ConnectPage:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            route(spec.CONNECT_PATH, GET=self.show),
            route(spec.CONNECT_PATH + "/", GET=self.show),
            route(spec.CONNECT_PATH + "/sign-in", POST=self.sign_in),
            route(spec.CONNECT_PATH + "/authorize", POST=self.authorize),
        ]

    # -- the signed session field -------------------------------------------------------------------------------
    def _sign(self, payload: bytes) -> str:
        return hmac.new(self.state.session_key, payload, hashlib.sha256).hexdigest()

    def _session(self, token: str, email: str) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(
            {"t": token, "e": email, "x": self.state.now() + SESSION_LIFE_S}).encode()).decode()
        return f"{payload}.{self._sign(payload.encode())}"

    def _session_email(self, value: str, token: str) -> str | None:
        payload, _, sig = value.partition(".")
        if not hmac.compare_digest(sig, self._sign(payload.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        except ValueError:
            return None
        if data.get("t") != token or data.get("x", 0) < self.state.now():
            return None
        return data.get("e")

    # -- shared checks ------------------------------------------------------------------------------------------
    def _dead_end(self, token: str, client_id: str) -> tuple[HTMLResponse | None, dict | None, str]:
        """The page to show instead of the flow (invalid, expired, already settled), else the integration."""
        integ = self.state.integration(token, client_id) if token and client_id else None
        if integ is None:
            return _html(connect_html.result(
                "invalid", "This connection link is not valid. Go back to your point-of-sale app and start "
                           "connecting again.")), None, ""
        partner = self.state.partner(integ["client_id"], check_secret=False)["name"]
        if integ["status"] == spec.CANCELLED:
            if integ["reason"] == spec.REASON_EXPIRED:
                return _html(connect_html.result(
                    "expired", f"This connection link has expired. Go back to {partner} and start connecting "
                               "again: you will get a fresh link.", partner)), integ, partner
            return _html(connect_html.result(
                "cancelled", f"You cancelled. {partner} was not connected to your Rulrr store.", partner)), \
                integ, partner
        if integ["status"] == spec.FINISHED:
            store = self.state.store_view(integ["store_id"])["name"]
            return _html(connect_html.result(
                "finished", f"{store} is now connected to {partner}. You can close this page: {partner} "
                            "finishes the set-up by itself.", partner)), integ, partner
        return None, integ, partner

    async def _form(self, request: Request) -> dict[str, str]:
        if media_type(request) != "application/x-www-form-urlencoded":
            raise ApiFailure(spec.UNSUPPORTED_MEDIA_TYPE, "The Connect page takes HTML form posts only.")
        raw = await read_body(request, FORM_MAX_BYTES)
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ApiFailure(spec.INVALID_FORM) from None

    # -- the steps ----------------------------------------------------------------------------------------------
    async def show(self, request: Request) -> HTMLResponse:
        token = request.query_params.get(spec.Q_INTEGRATION_TOKEN, "")
        client_id = request.query_params.get(spec.Q_CLIENT_ID, "")
        dead_end, _, partner = self._dead_end(token, client_id)
        if dead_end is not None:
            return dead_end
        return _html(connect_html.sign_in(partner, {spec.Q_INTEGRATION_TOKEN: token, spec.Q_CLIENT_ID: client_id}))

    async def sign_in(self, request: Request) -> HTMLResponse:
        form = await self._form(request)
        token, client_id = form.get(spec.Q_INTEGRATION_TOKEN, ""), form.get(spec.Q_CLIENT_ID, "")
        dead_end, _, partner = self._dead_end(token, client_id)
        if dead_end is not None:
            return dead_end
        hidden = {spec.Q_INTEGRATION_TOKEN: token, spec.Q_CLIENT_ID: client_id}
        email = form.get("email", "").strip()
        if not self.state.check_merchant(email, form.get("password", "")):
            return _html(connect_html.sign_in(
                partner, hidden, email, "That email and password do not match a Rulrr account. Check them and "
                                        "try again."))
        email = email.lower()
        hidden["session"] = self._session(token, email)
        return _html(connect_html.choose_store(partner, hidden, email, self.state.merchant_stores(email)))

    async def authorize(self, request: Request) -> HTMLResponse:
        form = await self._form(request)
        token, client_id = form.get(spec.Q_INTEGRATION_TOKEN, ""), form.get(spec.Q_CLIENT_ID, "")
        dead_end, integ, partner = self._dead_end(token, client_id)
        if dead_end is not None:
            return dead_end
        hidden = {spec.Q_INTEGRATION_TOKEN: token, spec.Q_CLIENT_ID: client_id}
        email = self._session_email(form.get("session", ""), token)
        if email is None:
            return _html(connect_html.sign_in(partner, hidden, error="Your sign-in has expired. Sign in again."))
        if form.get("action") == "cancel":
            self.state.cancel_integration(token, spec.REASON_MERCHANT)
        else:
            stores = self.state.merchant_stores(email)
            chosen = form.get("store_id", "")
            if chosen not in {s["storeId"] for s in stores}:
                hidden["session"] = form["session"]
                return _html(connect_html.choose_store(partner, hidden, email, stores,
                                                       error="Choose the store to connect, then press Connect."))
            self.state.finish_integration(token, chosen)
        dead_end, _, _ = self._dead_end(token, client_id)
        assert dead_end is not None
        return dead_end
