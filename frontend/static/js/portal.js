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
