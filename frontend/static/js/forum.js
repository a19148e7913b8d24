// Discussions: live updates on thread pages, the notification bell, quote
// buttons and @-mention autocomplete. Every page works without this file:
// forms post normally and the "Show new replies" link reloads.
// Assets are served at fingerprinted URLs only, so this module does not
// import portal.js; the CSRF token comes from the body's data-csrf.
const csrfToken = () => (document.body ? document.body.dataset.csrf || "" : "");

const posts = document.getElementById("posts");
const bellCount = document.getElementById("bell-count");

function bump() {
  if (!bellCount) return;
  const n = Number(bellCount.dataset.count || "0") + 1;
  bellCount.dataset.count = String(n);
  bellCount.textContent = String(n);
}

async function fragment(thread, n) {
  const res = await fetch(`/threads/${thread}/posts/${n}/fragment`, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!res.ok) return null;
  const tpl = document.createElement("template");
  tpl.innerHTML = (await res.text()).trim(); // server-rendered, sanitised HTML
  return tpl.content.firstElementChild;
}

async function showPost(thread, n, replace) {
  const el = await fragment(thread, n);
  if (!el) return;
  const old = document.getElementById(`post-${n}`);
  if (old) {
    old.replaceWith(el);
    return;
  }
  if (replace) return;
  // New posts join the page only on the last page of the thread; elsewhere
  // the "Show new replies" link appears, pointing at the first of them.
  if (posts.dataset.page !== posts.dataset.pages) {
    const more = document.getElementById("new-replies");
    if (more && more.hidden) {
      more.querySelector("a").href = `/threads/${thread}/posts/${n}`;
      more.hidden = false;
    }
    return;
  }
  posts.append(el);
  posts.dataset.last = String(Math.max(Number(posts.dataset.last), n));
  const status = document.getElementById("live-status");
  if (status) {
    const who = el.querySelector(".post-by");
    status.textContent = (status.dataset.new || "").replace("{0}", who ? who.textContent.trim() : "");
  }
}

function connect() {
  const url = posts ? posts.dataset.live : bellCount ? "/discussions/live" : "";
  if (!url || !window.EventSource) return;
  const es = new EventSource(url);
  es.onmessage = (e) => {
    let ev;
    try { ev = JSON.parse(e.data); } catch { return; }
    if (ev.type === "notify") {
      bump(); // stored and unread until the member opens the thread again
      return;
    }
    if (!posts || ev.thread !== posts.dataset.thread) return;
    if (ev.type === "post") showPost(ev.thread, ev.n, false);
    if (ev.type === "edit" || ev.type === "react") showPost(ev.thread, ev.n, true);
  };
}

// A bare #post-N link opens on the right page.
function permalink() {
  const m = /^#post-(\d+)$/.exec(location.hash);
  if (posts && m && !document.getElementById(`post-${m[1]}`)) {
    location.replace(`/threads/${posts.dataset.thread}/posts/${m[1]}`);
  }
}

// Reactions without a reload.
document.addEventListener("submit", async (e) => {
  const form = e.target;
  if (!form.classList || !form.classList.contains("react-form")) return;
  e.preventDefault();
  const res = await fetch(form.action, { method: "POST", credentials: "same-origin", headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() }, body: new URLSearchParams(new FormData(form)) });
  if (res.ok) {
    const article = form.closest("article");
    if (article && posts) showPost(posts.dataset.thread, Number(article.dataset.n), true);
  }
});

// Mentions are stored as @[Name](/members/ID), which is what the server
// parses, and what a member without scripts types. With scripts the editor
// shows "@Name" and keeps the link behind it in a map per textarea:
// collapse turns the stored form into names when a form loads or a quote
// comes in, expand turns names back into links before the text is sent or
// previewed. A name that two different members share is left as a link.
const mentionMaps = new WeakMap();
const mentionRe = /@\[([^\]\n]{1,80})\]\(\/members\/([0-9a-f]{24})\)/g;
function mapOf(area) {
  if (!mentionMaps.has(area)) mentionMaps.set(area, new Map());
  return mentionMaps.get(area);
}
function remember(area, name, id) {
  const map = mapOf(area);
  if (map.has(name) && map.get(name) !== id) return false;
  map.set(name, id);
  return true;
}
function collapse(area) {
  area.value = area.value.replace(mentionRe, (all, name, id) => (remember(area, name, id) ? `@${name}` : all));
}
function expand(area) {
  const names = [...mapOf(area).keys()].sort((a, b) => b.length - a.length);
  if (!names.length) return area.value;
  const esc = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // "@Name" not already inside a link and not followed by a letter or digit.
  const re = new RegExp(`@(${names.map(esc).join("|")})(?![\\p{L}\\p{N}\\]])`, "gu");
  return area.value.replace(re, (all, name, off, str) => (str[off - 1] === "[" ? all : `@[${name}](/members/${mapOf(area).get(name)})`));
}

// The form is sent with the links written out (the server stores them).
document.addEventListener("submit", (e) => {
  const area = e.target.querySelector && e.target.querySelector("textarea[data-mentions]");
  if (area) area.value = expand(area);
}, true);

// Preview in place: the same rendering as the posted result (library cards
// included) replaces the previous preview; the page neither reloads nor
// scrolls. Without scripts the button posts the form and the server shows
// the preview on the re-rendered page.
document.addEventListener("click", async (e) => {
  const btn = e.target.closest && e.target.closest('button[name="preview"]');
  if (!btn || !btn.form) return;
  const area = btn.form.querySelector("textarea[data-mentions]");
  const slot = btn.form.querySelector(".preview-slot");
  if (!area || !slot) return;
  e.preventDefault();
  const body = new URLSearchParams({ body: expand(area), level: slot.dataset.previewLevel || "3", _csrf: csrfToken() });
  const res = await fetch("/discussions/preview", { method: "POST", credentials: "same-origin", headers: { Accept: "text/html", "X-CSRF-Token": csrfToken() }, body });
  if (!res.ok) {
    btn.form.requestSubmit(btn); // the server's page names the problem
    return;
  }
  const tpl = document.createElement("template");
  tpl.innerHTML = (await res.text()).trim(); // server-rendered, sanitised HTML
  slot.replaceChildren(tpl.content);
  const status = document.getElementById("preview-status");
  if (status) status.textContent = status.dataset.done || "";
});

// @-mention autocomplete: a listbox under the textarea, keyboard operable.
function mentions(area) {
  const list = document.getElementById("mention-list");
  if (!list) return;
  let items = [], active = -1, start = -1;
  const close = () => { list.hidden = true; list.textContent = ""; items = []; active = -1; area.removeAttribute("aria-activedescendant"); };
  const pick = (m) => {
    const before = area.value.slice(0, start), after = area.value.slice(area.selectionStart);
    // The editor shows "@Name"; the link behind it is kept in the map and
    // written out when the form is sent (see expand).
    const name = m.name.replace(/[\[\]()\n]/g, "");
    remember(area, name, m.id);
    const text = `@${name} `;
    area.value = before + text + after;
    area.selectionStart = area.selectionEnd = before.length + text.length;
    close();
    area.focus();
  };
  const render = () => {
    list.textContent = "";
    items.forEach((m, i) => {
      const li = document.createElement("li");
      li.id = `mention-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.textContent = m.organisation ? `${m.name} (${m.organisation})` : m.name;
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); pick(m); });
      list.append(li);
    });
    list.hidden = items.length === 0;
    if (active >= 0) area.setAttribute("aria-activedescendant", `mention-${active}`);
  };
  area.setAttribute("aria-controls", "mention-list");
  area.addEventListener("input", async () => {
    const upto = area.value.slice(0, area.selectionStart);
    const m = /(^|\s)@([^\s@\[\]()]{2,30})$/.exec(upto);
    if (!m) { close(); return; }
    start = upto.length - m[2].length - 1;
    const res = await fetch(`${area.dataset.mentions}?q=${encodeURIComponent(m[2])}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!res.ok) { close(); return; }
    items = await res.json();
    active = items.length ? 0 : -1;
    render();
  });
  area.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      render();
    } else if (e.key === "Enter" || e.key === "Tab") {
      if (active >= 0) { e.preventDefault(); pick(items[active]); }
    } else if (e.key === "Escape") {
      close();
    }
  });
  area.addEventListener("blur", () => setTimeout(close, 150));
}

document.addEventListener("DOMContentLoaded", () => {
  permalink();
  connect();
  const area = document.querySelector("textarea[data-mentions]");
  if (area) {
    collapse(area);
    mentions(area);
  }
  // Quote buttons fill the reply box in place when it is on the page.
  document.addEventListener("click", async (e) => {
    const a = e.target.closest && e.target.closest("a[data-quote]");
    const box = document.querySelector("#reply textarea");
    if (!a || !box) return;
    e.preventDefault();
    const res = await fetch(a.href, { credentials: "same-origin" });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const q = doc.querySelector("#reply textarea");
    if (q) { box.value = q.value + box.value; collapse(box); box.focus(); }
  });
});
