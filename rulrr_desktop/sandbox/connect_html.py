"""The HTML of the sandbox's Connect page: sign in, choose a store, read the permissions, Connect or Cancel,
and the result and dead-end pages.

Plain server-rendered forms, no JavaScript: it works embedded (QWebEngineView, an iframe), as a top-level page
in any browser, and keyboard-only (real labels, natural focus order, visible focus, Enter submits). The element
ids are a contract with the app's tests, which drive the page with runJavaScript: `form#sign-in-form`,
`input#email`, `input#password`, `button#sign-in`, `#error` (role=alert), radios `input[name=store_id]` with
id `store-<store id>`, `button#connect`, `button#cancel`, and `#result[data-status]`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from rulrr_desktop.sandbox import spec

CSS = """
:root { --accent: #4f37d8; --accent-dark: #3b27b0; --text: #1c1d26; --muted: #5b5f6e; --line: #d8dae3;
        --bg: #eef0f6; --error: #b42318; --ok: #067647; }
* { box-sizing: border-box; }
html, body { margin: 0; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, Cantarell, "Noto Sans", sans-serif;
       background: var(--bg); color: var(--text); min-height: 100vh; display: flex; align-items: center;
       justify-content: center; padding: 24px; }
.card { background: #fff; width: 100%; max-width: 440px; border-radius: 16px; padding: 32px;
        box-shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 12px 32px rgba(16, 24, 40, .10); }
.brand { display: flex; align-items: center; gap: 10px; margin: 0 0 20px; font-weight: 700; font-size: 1.05rem;
         color: var(--accent); }
.brand .mark { width: 26px; height: 26px; border-radius: 8px; background: var(--accent); color: #fff;
               display: inline-flex; align-items: center; justify-content: center; font-size: .9rem; }
.brand .partner { color: var(--muted); font-weight: 500; margin-left: auto; font-size: .9rem; }
h1 { font-size: 1.4rem; line-height: 1.3; margin: 0 0 8px; }
h2 { font-size: 1rem; margin: 24px 0 8px; }
p { margin: 0 0 12px; }
.lead, .hint { color: var(--muted); }
.hint { font-size: .88rem; margin-top: 20px; }
label.field { display: block; font-weight: 600; margin: 16px 0 6px; font-size: .95rem; }
input[type=email], input[type=password] { width: 100%; padding: 10px 12px; font: inherit; color: inherit;
       border: 1px solid var(--line); border-radius: 8px; background: #fff; }
input[type=email]:focus, input[type=password]:focus { border-color: var(--accent); }
:focus-visible { outline: 3px solid #9d8cff; outline-offset: 2px; }
input[aria-invalid=true] { border-color: var(--error); }
.actions { display: flex; gap: 12px; margin-top: 24px; }
button { font: inherit; font-weight: 600; padding: 10px 20px; border-radius: 8px; cursor: pointer;
         border: 1px solid transparent; }
.wide { width: 100%; margin-top: 24px; }
.primary { background: var(--accent); color: #fff; }
.primary:hover { background: var(--accent-dark); }
.secondary { background: #fff; color: var(--text); border-color: var(--line); }
.secondary:hover { background: #f6f7fa; }
.error { background: #fef3f2; color: var(--error); border: 1px solid #fecdca; border-radius: 8px;
         padding: 10px 12px; margin: 16px 0 0; }
fieldset { border: 0; padding: 0; margin: 20px 0 0; }
legend { font-weight: 600; padding: 0; margin-bottom: 8px; }
.choice { display: flex; align-items: center; gap: 12px; padding: 12px 14px; border: 1px solid var(--line);
          border-radius: 10px; margin-bottom: 8px; cursor: pointer; }
.choice:has(input:checked) { border-color: var(--accent); background: #f4f2ff; }
.choice input { width: 18px; height: 18px; accent-color: var(--accent); margin: 0; }
.choice .name { font-weight: 600; display: block; }
.choice .meta { color: var(--muted); font-size: .88rem; display: block; }
ul.permissions { margin: 0; padding-left: 0; list-style: none; }
ul.permissions li { padding: 6px 0 6px 28px; position: relative; }
ul.permissions li::before { content: "✓"; position: absolute; left: 4px; color: var(--ok); font-weight: 700; }
.result-icon { width: 48px; height: 48px; border-radius: 50%; display: flex; align-items: center;
               justify-content: center; font-size: 1.5rem; font-weight: 700; margin-bottom: 16px; }
.result-icon.good { background: #dcfae6; color: var(--ok); }
.result-icon.bad { background: #fee4e2; color: var(--error); }
.result-icon.neutral { background: #eaecf0; color: var(--muted); }
@media (max-height: 820px), (max-width: 480px) {
  body { padding: 12px; } .card { padding: 24px; } h2 { margin-top: 16px; }
  ul.permissions li { padding: 3px 0 3px 28px; } .actions { margin-top: 16px; } }
"""


def page(title: str, body: str, partner_name: str = "") -> str:
    partner = f'<span class="partner">for {escape(partner_name)}</span>' if partner_name else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · Rulrr</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        '<main class="card" aria-labelledby="heading">\n'
        f'<p class="brand"><span class="mark" aria-hidden="true">R</span>Rulrr{partner}</p>\n'
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def _hidden(fields: dict[str, str]) -> str:
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())


def _error(message: str | None) -> str:
    return f'<p id="error" class="error" role="alert">{escape(message)}</p>' if message else ""


def sign_in(partner_name: str, hidden: dict[str, str], email: str = "", error: str | None = None) -> str:
    invalid = ' aria-invalid="true" aria-describedby="error"' if error else ""
    # focus where the merchant types next: the email, or the password when the email is already filled in
    focus_email, focus_password = ("", " autofocus") if email else (" autofocus", "")
    body = f"""<h1 id="heading">Connect {escape(partner_name)} to Rulrr</h1>
<p class="lead">Sign in to your Rulrr account to let <strong>{escape(partner_name)}</strong> send your store's
sales to Rulrr.</p>
{_error(error)}
<form id="sign-in-form" method="post" action="{spec.CONNECT_PATH}/sign-in">
{_hidden(hidden)}
<label class="field" for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required{focus_email} value="{escape(email)}"{invalid}>
<label class="field" for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required{focus_password}{invalid}>
<button id="sign-in" type="submit" class="primary wide">Sign in</button>
</form>
<p class="hint">Rulrr sandbox: sign in as owner@example.com with the password demo.</p>"""
    return page(f"Connect {partner_name}", body, partner_name)


def choose_store(partner_name: str, hidden: dict[str, str], email: str, stores: list[dict[str, Any]],
                 chosen: str | None = None, error: str | None = None) -> str:
    choices = "\n".join(
        f'<label class="choice" for="store-{escape(s["storeId"])}">'
        f'<input type="radio" name="store_id" id="store-{escape(s["storeId"])}" value="{escape(s["storeId"])}" '
        f'required{" checked" if s["storeId"] == chosen else ""}>'
        f'<span><span class="name">{escape(s["name"])}</span>'
        f'<span class="meta">{escape(s["currency"])} · {escape(s["storeId"])}</span></span></label>'
        for s in stores)
    permissions = "\n".join(f"<li>{escape(p)}</li>" for p in spec.PARTNER_PERMISSIONS)
    body = f"""<h1 id="heading">Choose the store to connect</h1>
<p class="lead">Signed in as {escape(email)}. {escape(partner_name)} will send this store's sales to Rulrr.</p>
{_error(error)}
<form id="authorize-form" method="post" action="{spec.CONNECT_PATH}/authorize">
{_hidden(hidden)}
<fieldset>
<legend>Your stores</legend>
{choices}
</fieldset>
<h2 id="permissions-heading">{escape(partner_name)} will be allowed to</h2>
<ul id="permissions" class="permissions" aria-labelledby="permissions-heading">
{permissions}
</ul>
<div class="actions">
<button id="connect" type="submit" name="action" value="connect" class="primary">Connect</button>
<button id="cancel" type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
</div>
</form>"""
    return page(f"Connect {partner_name}", body, partner_name)


RESULTS = {
    "finished": ("good", "✓", "Connected"),
    "cancelled": ("neutral", "–", "Not connected"),
    "expired": ("bad", "!", "This link has expired"),
    "invalid": ("bad", "!", "This link is not valid"),
}


def result(status: str, sentence: str, partner_name: str = "") -> str:
    """A final page: `#result[data-status]` is finished | cancelled | expired | invalid, with a human sentence."""
    tone, icon, heading = RESULTS[status]
    body = f"""<div id="result" data-status="{escape(status)}" role="status">
<div class="result-icon {tone}" aria-hidden="true">{icon}</div>
<h1 id="heading">{escape(heading)}</h1>
<p>{escape(sentence)}</p>
</div>"""
    return page(heading, body, partner_name)
