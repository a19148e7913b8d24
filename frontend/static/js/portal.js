// Progressive enhancement only: every page works without this file.
// The CSRF token comes from the body's data-csrf attribute, never inline script.

export function csrfToken() {
  return document.body ? document.body.dataset.csrf || "" : "";
}

// postJSON sends a same-origin JSON request with the CSRF header.
export async function postJSON(url, payload) {
  const res = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(payload),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const msg = body && body.error ? body.error.message : res.statusText;
    throw new Error(msg);
  }
  return body;
}

// After a redirect or a refused form, move focus to what the member must read
// first: the error summary, else the flash message, so screen readers say it.
document.addEventListener("DOMContentLoaded", () => {
  const target = document.querySelector(".error-summary") || document.querySelector(".flash");
  if (target) {
    target.setAttribute("tabindex", "-1");
    target.focus();
  }
});

// The header: on small screens the menu button shows and hides the
// navigation (without scripts the button stays hidden and the navigation
// shows); the language applies as soon as it is picked, the Apply button
// staying for use without scripts.
function header() {
  const toggle = document.querySelector(".menu-toggle");
  const menu = document.getElementById("site-menu");
  if (toggle && menu) {
    document.documentElement.classList.add("has-menu-toggle");
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("is-open", open);
    });
    menu.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && toggle.getAttribute("aria-expanded") === "true" && getComputedStyle(toggle).display !== "none") {
        toggle.click();
        toggle.focus();
      }
    });
  }
  const lang = document.querySelector("select[data-apply-on-change]");
  if (lang && lang.form) {
    lang.form.classList.add("applies-on-change");
    lang.addEventListener("change", () => lang.form.requestSubmit());
  }
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", header);
else header();

// Times in the reader's time zone and the page language's format (English
// as written in Europe: day first, 24-hour clock). The server writes UTC
// (and says so) for readers without scripts; a bare date stays the same
// calendar day; data-local-date asks for the day alone, in words.
function localTimes() {
  const lang = document.documentElement.lang === "en" ? "en-GB" : document.documentElement.lang || undefined;
  let full, day, words;
  try {
    full = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
    day = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" });
    words = new Intl.DateTimeFormat(lang, { dateStyle: "long" });
  } catch { return; }
  document.querySelectorAll("time[datetime]").forEach((el) => {
    const v = el.getAttribute("datetime");
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) return;
    if (el.hasAttribute("data-local-date")) el.textContent = words.format(d);
    else el.textContent = v.includes("T") ? full.format(d) : day.format(d);
  });
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", localTimes);
else localTimes();

// An empty time zone field (a first profile) takes the browser's zone, for
// the member to confirm or change; without scripts it stays empty and the
// portal's default applies.
function browserZone() {
  const input = document.querySelector("input[data-browser-zone]");
  if (!input || input.value) return;
  try { input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch { /* no Intl: leave it empty */ }
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", browserZone);
else browserZone();

// A signed-in member without a stored zone: the browser's zone is stored
// once, so e-mails and calendar files use it (the server never replaces a
// zone the member chose). Without scripts the portal's default applies.
function adoptZone() {
  const body = document.body;
  if (!body || !body.hasAttribute("data-adopt-zone") || document.querySelector("input[data-browser-zone]")) return;
  let zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch { return; }
  if (!zone || zone === "Etc/Unknown") return; // a browser that does not know its zone says so
  const form = new URLSearchParams({ _csrf: body.dataset.csrf || "", time_zone: zone });
  fetch("/profile/time-zone", { method: "POST", body: form, credentials: "same-origin" }).catch(() => {});
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", adoptZone);
else adoptZone();
