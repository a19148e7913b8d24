// Upload forms (form[data-upload]): drag and drop onto the file field, a
// progress bar with percentage and a cancel button. Without this script the
// same form posts normally. The CSRF token travels in the X-CSRF-Token
// header, read from the body's data-csrf attribute. (No import of
// portal.js: modules are served under fingerprinted names only, so a
// relative import would miss.)

function csrfToken() {
  return document.body ? document.body.dataset.csrf || "" : "";
}

function randomKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// The field's own label, without its hint or error text.
function fieldLabel(form, name) {
  const el = form.querySelector(`#f-${CSS.escape(name)}`);
  if (!el) return name;
  const own = el.matches("fieldset, details") ? el.querySelector("legend, summary") : form.querySelector(`label[for="${CSS.escape(el.id)}"]`);
  return own ? own.textContent.trim() : name;
}

// clearProblems removes the errors of an earlier attempt, the server's or
// this script's, before the next one.
function clearProblems(form) {
  form.parentElement.querySelectorAll(":scope > .error-summary").forEach((el) => el.remove());
  form.querySelectorAll(".field-error").forEach((p) => {
    form.querySelectorAll(`[aria-describedby~="${CSS.escape(p.id)}"]`).forEach((el) => {
      const rest = el.getAttribute("aria-describedby").split(" ").filter((x) => x && x !== p.id);
      if (rest.length) el.setAttribute("aria-describedby", rest.join(" "));
      else el.removeAttribute("aria-describedby");
    });
    p.remove();
  });
  form.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
  form.querySelectorAll('[aria-invalid="true"]').forEach((el) => el.removeAttribute("aria-invalid"));
}

// showProblems lists every refused field in an error summary above the
// form, as the server does when the page is sent without this script, and
// marks each field; what the member typed stays in place. It returns false
// on a form without the summary's strings (the version form, which has a
// single file field and shows the message instead).
function showProblems(form, fields) {
  const strings = form.querySelector("template[data-strings]");
  const title = strings && strings.dataset.problems;
  if (!title) return false;
  clearProblems(form);
  const box = document.createElement("div");
  box.className = "error-summary";
  box.setAttribute("role", "alert");
  box.tabIndex = -1;
  box.dataset.problems = "";
  const h = document.createElement("h2");
  h.textContent = title;
  const ul = document.createElement("ul");
  // In the form's order (the API's map has none).
  const at = (name) => {
    const el = form.querySelector(`#f-${CSS.escape(name)}`);
    return el ? [...form.querySelectorAll("[id^='f-']")].indexOf(el) : Infinity;
  };
  const entries = Object.entries(fields).sort((a, b) => at(a[0]) - at(b[0]));
  for (const [name, msg] of entries) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `#f-${name}`;
    a.textContent = `${fieldLabel(form, name)}: ${msg}`;
    li.append(a);
    ul.append(li);
    const target = form.querySelector(`#f-${CSS.escape(name)}`);
    if (target) {
      if (!target.matches("fieldset, details")) target.setAttribute("aria-invalid", "true");
      const p = document.createElement("p");
      p.className = "field-error";
      p.id = `e-${name}`;
      p.textContent = msg;
      const wrap = target.closest(".field") || target.parentElement;
      wrap.classList.add("invalid");
      wrap.append(p);
      const described = (target.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== p.id);
      described.push(p.id);
      target.setAttribute("aria-describedby", described.join(" "));
    }
  }
  box.append(h, ul);
  form.before(box);
  box.focus();
  return true;
}

function setup(form) {
  const input = form.querySelector('input[type="file"]');
  const zone = form.querySelector("[data-dropzone]");
  const progress = form.querySelector("[data-progress]");
  const bar = progress && progress.querySelector("progress");
  const percent = progress && progress.querySelector("[data-percent]");
  const cancel = progress && progress.querySelector("[data-cancel]");
  const message = form.querySelector("[data-message]");
  const strings = form.querySelector("template[data-strings]");
  const text = (name) => (strings ? strings.dataset[name] || "" : "");
  const keyField = form.querySelector('input[name="idempotency_key"]');
  const submit = form.querySelector('button[type="submit"]');
  if (!input || !zone || !progress) return;

  // Drag and drop is an extra: the file field itself stays keyboard operable.
  const hint = zone.querySelector("[data-drop-hint]");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("dragging");
    if (hint) hint.hidden = false;
  });
  zone.addEventListener("dragleave", () => {
    zone.classList.remove("dragging");
    if (hint) hint.hidden = true;
  });
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    if (hint) hint.hidden = true;
    if (e.dataTransfer && e.dataTransfer.files.length > 0) {
      input.files = e.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  const say = (msg, isError) => {
    message.textContent = msg;
    message.hidden = !msg;
    message.classList.toggle("error", !!isError);
  };

  form.addEventListener("submit", (e) => {
    if (!window.XMLHttpRequest || !window.FormData) return; // plain post
    e.preventDefault();
    say("", false);
    // One key per attempt of this form: a network retry of the same request
    // does not create a second resource.
    if (keyField && !keyField.value) keyField.value = randomKey();
    const data = new FormData(form);
    data.delete("_csrf");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    if (keyField) xhr.setRequestHeader("Idempotency-Key", keyField.value);
    progress.hidden = false;
    bar.value = 0;
    percent.textContent = text("percentLabel").replace("{0}", "0");
    clearProblems(form);
    if (submit) submit.disabled = true;
    let lastSaid = -1;
    xhr.upload.addEventListener("progress", (ev) => {
      if (!ev.lengthComputable) return;
      const p = Math.floor((ev.loaded / ev.total) * 100);
      bar.value = p;
      // Announce in steps of ten so screen readers are not flooded.
      if (p === 100 || p - lastSaid >= 10) {
        lastSaid = p;
        percent.textContent = text("percentLabel").replace("{0}", String(p));
      }
    });
    const finish = () => {
      progress.hidden = true;
      if (submit) submit.disabled = false;
    };
    cancel.onclick = () => xhr.abort();
    xhr.addEventListener("abort", () => {
      finish();
      say(text("cancelled"), false);
      // The key stays: if the server had already received everything when
      // the member cancelled, sending again returns that resource instead
      // of sharing it twice.
    });
    xhr.addEventListener("error", () => {
      finish();
      say(text("failed"), true);
    });
    xhr.addEventListener("load", () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch (_) {
        body = {};
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        bar.value = 100;
        say(text("done"), false);
        // The flash says what happened: a new resource, or a new version.
        const flash = form.dataset.flash || "resource_created";
        const anchor = flash === "version_added" ? "#versions" : "";
        window.location.assign(body.url ? `${body.url}?flash=${flash}${anchor}` : form.action);
        return;
      }
      finish();
      if (keyField) keyField.value = "";
      const err = body.error || {};
      const fields = err.fields || (err.field ? { [err.field]: err.message } : {});
      if (Object.keys(fields).length > 0 && showProblems(form, fields)) {
        say("", false);
        return;
      }
      say(err.message || text("failed"), true);
      message.focus();
    });
    xhr.send(data);
  });
  message.setAttribute("tabindex", "-1");
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-upload]").forEach(setup);
});
