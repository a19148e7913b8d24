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
        window.location.assign(body.url ? body.url + "?flash=resource_created" : form.action);
        return;
      }
      finish();
      if (keyField) keyField.value = "";
      const err = body.error || {};
      say(err.message || text("failed"), true);
      const fields = err.fields || (err.field ? { [err.field]: err.message } : {});
      for (const [name, msg] of Object.entries(fields)) {
        const el = form.querySelector(`[name="${CSS.escape(name)}"]`);
        if (el) {
          el.setAttribute("aria-invalid", "true");
          if (name !== err.field) say(message.textContent + " " + msg, true);
        }
      }
      message.focus();
    });
    xhr.send(data);
  });
  message.setAttribute("tabindex", "-1");
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-upload]").forEach(setup);
});
