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

// Move focus to the flash message after a redirect so screen readers hear it.
document.addEventListener("DOMContentLoaded", () => {
  const flash = document.querySelector(".flash");
  if (flash) {
    flash.setAttribute("tabindex", "-1");
    flash.focus();
  }
});
