"""A "Copy" button under a message that puts its exact stored text on the clipboard.

Streamlit 1.67 has no copy widget, and a widget would cost a rerun per click anyway: copying is
the browser's business. So the button is a few bytes of HTML drawn with
``st.html(..., unsafe_allow_javascript=True)`` (not iframed), and one shared click handler does
the work in the page.

How untrusted text travels (messages come from people and models: a model may write
``<script>``):

- The text never becomes HTML or JavaScript. It is UTF-8 encoded and then Base64 encoded into a
  ``data-charla-copy`` attribute: the value's alphabet is ``[A-Za-z0-9+/=]``, HTML-escaped anyway.
  Plain HTML escaping is *not* enough here: Streamlit sanitizes ``st.html`` bodies with DOMPurify,
  which drops any attribute whose value contains ``</script``, ``</style``, ``-->`` or ``]>``
  (its ``SAFE_FOR_XML`` rule, checked in a browser) — so a message quoting a ``<script>`` tag
  would have lost its text. Base64 also keeps newlines, leading spaces and a trailing newline
  away from ``st.html``, which dedents and strips its body.
- The script is a constant: the same bytes for every message. It removes its own ``<script>``
  element once it has run (no script element stays inside a chat bubble) and installs, once per
  page, a delegated ``click`` listener on the document and a small stylesheet. A click decodes
  the attribute (``atob`` + ``TextDecoder``: exact for any Unicode, emoji included) and writes it
  with ``navigator.clipboard.writeText``; on a non-secure origin (``http://`` to another
  machine), where that API is missing or refused, it falls back to ``document.execCommand("copy")``
  from a hidden text area. The label turns to "Copied" (or "Could not copy") for 1.5 s.

Cost per message: one ``st.html`` element whose body is the Base64 text plus about a kilobyte of
constant script; no widget, no session state, no rerun on click.
"""

from __future__ import annotations

import base64
import html

import streamlit as st

from core.i18n import t

ATTRIBUTE = "data-charla-copy"  # holds the Base64 of the UTF-8 text

# Selectors use the attribute, so the button needs no class and the stylesheet cannot touch
# anything else on the page. Every statement ends with ";" so the lines can be joined.
_SOURCE = """(() => {
  document.currentScript?.remove();
  if (window.__charlaCopy) return;
  window.__charlaCopy = true;
  const css = document.createElement("style");
  css.textContent = `button[data-charla-copy]{background:none;border:0;margin:0;
    padding:.125rem .375rem;border-radius:.375rem;font:inherit;font-size:.875rem;
    color:inherit;opacity:.6;cursor:pointer}
    button[data-charla-copy]:hover,button[data-charla-copy]:focus-visible,
    button[data-charla-copy][data-state]{opacity:1}`;
  document.head.appendChild(css);
  const decode = (b64) =>
    new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  const legacyCopy = (text) => {
    const area = document.createElement("textarea");
    const focused = document.activeElement;
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.cssText = "position:fixed;top:0;left:0;opacity:0;pointer-events:none";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    focused?.focus?.();
    return ok;
  };
  const show = (button, state) => {
    clearTimeout(button.charlaTimer);
    button.dataset.state = state;
    button.textContent = button.dataset[state];
    button.charlaTimer = setTimeout(() => {
      delete button.dataset.state;
      button.textContent = button.dataset.label;
    }, 1500);
  };
  document.addEventListener("click", async (event) => {
    const button = event.target instanceof Element
      ? event.target.closest("button[data-charla-copy]") : null;
    if (!button) return;
    let text;
    try { text = decode(button.dataset.charlaCopy); } catch (e) { show(button, "failed"); return; }
    let ok = false;
    if (window.isSecureContext && navigator.clipboard) {
      try { await navigator.clipboard.writeText(text); ok = true; } catch (e) { ok = false; }
    }
    show(button, ok || legacyCopy(text) ? "copied" : "failed");
  });
})();"""
# Sent as one line: st.html dedents every body it gets, which costs far more on many lines.
SCRIPT = " ".join(line.strip() for line in _SOURCE.splitlines())


def encode(text: str) -> str:
    """The attribute value for ``text``: Base64 of its UTF-8 (a broken surrogate becomes ``?``)."""
    return base64.b64encode(text.encode("utf-8", errors="replace")).decode("ascii")


def decode(value: str) -> str:
    """What the browser puts on the clipboard for an attribute value (the script's ``decode``)."""
    return base64.b64decode(value).decode("utf-8")


def button_html(text: str, *, label: str, copied: str, failed: str, tooltip: str) -> str:
    """The body given to ``st.html``: the button, then the constant script."""

    def attr(value: str) -> str:
        return html.escape(value, quote=True)

    return (
        f'<button type="button" {ATTRIBUTE}="{attr(encode(text))}"'
        f' data-label="{attr(label)}" data-copied="{attr(copied)}" data-failed="{attr(failed)}"'
        f' title="{attr(tooltip)}" aria-label="{attr(tooltip)}" aria-live="polite">'
        f"{html.escape(label)}</button><script>{SCRIPT}</script>"
    )


def copy_button(text: str, lang: str) -> None:
    """Draw the copy button for ``text`` (the stored text, exactly as it should be copied)."""
    st.html(
        button_html(
            text,
            label=t("msg.copy", lang),
            copied=t("msg.copied", lang),
            failed=t("msg.copy_failed", lang),
            tooltip=t("msg.copy_help", lang),
        ),
        width="content",
        unsafe_allow_javascript=True,
    )
