// Q&A and boards with dot voting in the live room: two tool modules
// plugged into room.js (window.roomTools). The server decides everything
// (rights, limits, anonymity, hidden counts); this file shows what it
// sends. UI text comes from the data-t-* attributes of each section.

// ---- shared helpers (static files cannot import one another: each is
// served under its own content-hash name) ----

const dataT = (el) => (k) => el.dataset["t" + k.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())] || k;
const fmt = (s, ...args) => s.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ""));
const plurals = new Intl.PluralRules(document.documentElement.lang || "en");
const plural = (n) => plurals.select(n);

function textEl(tag, text, className) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className) el.className = className;
  return el;
}

function button(label, keepKey, describedBy) {
  const b = document.createElement("button");
  b.type = "button"; b.className = "small"; b.textContent = label;
  if (keepKey) b.dataset.keep = keepKey;
  if (describedBy) b.setAttribute("aria-describedby", describedBy);
  return b;
}

// toggle is an on/off button: its name stays, aria-pressed says the state.
function toggle(label, on, keepKey, describedBy, fn) {
  const b = button(label, keepKey, describedBy);
  b.setAttribute("aria-pressed", String(on));
  b.onclick = () => fn(b.getAttribute("aria-pressed") !== "true");
  return b;
}

// A button that stays focusable when it cannot act (aria-disabled, not
// disabled): a keyboard user who spends their last dot keeps their place.
function softButton(label, enabled, keepKey, describedBy, fn) {
  const b = button(label, keepKey, describedBy);
  b.setAttribute("aria-disabled", String(!enabled));
  b.onclick = () => { if (b.getAttribute("aria-disabled") !== "true") fn(); };
  return b;
}

// keep re-renders a container without losing what the person is doing:
// elements with the same data-keep keep their typed value, open state and
// focus; when the focused element is gone, focus goes to the nearest
// surviving data-keep-item around where it was.
function keep(container, render) {
  const saved = new Map();
  const active = document.activeElement;
  let focusKey = null, sel = null;
  const items = [];
  const inside = active && container.contains(active);
  if (inside) {
    for (let el = active.closest("[data-keep-item]"); el && container.contains(el); el = el.parentElement.closest("[data-keep-item]")) items.push(el.dataset.keepItem);
  }
  for (const el of container.querySelectorAll("[data-keep]")) {
    const s = {};
    if (el.tagName === "DETAILS") s.open = el.open;
    else if (el.tagName === "SELECT") s.value = el.value;
    // Text the person changed is theirs; untouched fields take the new
    // value from the server (an answer edited by another facilitator).
    else if ((el.tagName === "TEXTAREA" || el.tagName === "INPUT") && el.value !== el.defaultValue) s.value = el.value;
    saved.set(el.dataset.keep, s);
    if (el === active) {
      focusKey = el.dataset.keep;
      if (el.tagName === "TEXTAREA" || el.type === "text") sel = [el.selectionStart, el.selectionEnd];
    }
  }
  render();
  for (const el of container.querySelectorAll("[data-keep]")) {
    const s = saved.get(el.dataset.keep);
    if (!s) continue;
    if (s.open !== undefined) el.open = s.open;
    if (s.value !== undefined) el.value = s.value;
  }
  if (!inside) return;
  const find = (attr, k) => [...container.querySelectorAll(`[${attr}]`)].find((el) => el.getAttribute(attr) === k);
  let target = focusKey && find("data-keep", focusKey);
  if (target && sel) { target.focus({ preventScroll: true }); target.setSelectionRange(sel[0], sel[1]); return; }
  for (const k of items) { if (target) break; target = find("data-keep-item", k); }
  if (target) target.focus({ preventScroll: true });
}

// announcer speaks short messages through a polite live region; messages
// within a second are joined, so a burst is one announcement.
function announcer(region) {
  let queue = [], timer = null;
  return (text) => {
    if (!region) return;
    queue.push(text);
    if (timer) return;
    timer = setTimeout(() => { region.textContent = queue.join(" "); queue = []; timer = null; }, 1000);
  };
}

// refusals shows, in the tool's status line, why the server refused one of
// the tool's own frames.
function refusals(api, status, t) {
  const sent = new Set();
  api.on("error", (m) => {
    if (!sent.delete(m.ref)) return;
    const k = "err-" + m.code;
    status.textContent = t(k) === k ? t("err-invalid") : t(k);
  });
  api.on("ack", (m) => { if (sent.delete(m.key)) status.textContent = ""; });
  return (frame) => { api.send(frame); sent.add(frame.key); };
}

// ---- Q&A ----

(window.roomTools ||= []).push((api) => {
  const box = api.root.querySelector("[data-qa]");
  if (!box) return;
  const t = dataT(box);
  const list = box.querySelector("[data-qa-list]");
  const announce = announcer(box.querySelector("[data-qa-live]"));
  const send = refusals(api, box.querySelector("[data-qa-status]"), t);
  const onlyOpen = box.querySelector("[data-qa-unanswered]");
  const questions = new Map(); // id -> question as last sent
  const mine = new Set(); // ids of my questions
  const voted = new Set(); // ids I upvoted
  const votes = (n) => fmt(t(plural(n) === "one" ? "votes-one" : "votes"), n);

  function remember(q) {
    const old = questions.get(q.id);
    if (q.mine) mine.add(q.id);
    if (q.voted === true) voted.add(q.id); else if (q.voted === false) voted.delete(q.id);
    // Frames for others leave out the author of an anonymous question;
    // the asker keeps the one their own frame gave.
    if (!q.author && old && old.author && mine.has(q.id)) q.author = old.author;
    questions.set(q.id, q);
  }

  // Pinned first, then votes, then the oldest; facilitators see hidden
  // questions last.
  function ranked() {
    const seq = (q) => Number(q.id.slice(1));
    return [...questions.values()]
      .filter((q) => (api.fac || !q.hidden) && !(onlyOpen && onlyOpen.checked && q.answered))
      .sort((a, b) => (a.hidden - b.hidden) || (b.pinned - a.pinned) || (b.votes - a.votes) || (seq(a) - seq(b)));
  }

  function render() {
    keep(list, () => {
      const qs = ranked();
      list.replaceChildren(...(qs.length ? qs.map(item) : [textEl("li", t("empty"), "meta")]));
    });
  }

  function item(q) {
    const li = document.createElement("li");
    li.className = "qa-item" + (q.hidden ? " is-hidden" : "") + (q.pinned ? " is-pinned" : "");
    li.dataset.keepItem = q.id; li.tabIndex = -1;
    const text = textEl("p", q.text, "qa-text");
    text.id = "qa-text-" + q.id;
    const who = mine.has(q.id) ? t(q.anonymous ? "mine-anonymous" : "mine") : q.author ? fmt(t("by"), q.author.name) : t("anonymous-author");
    const flags = [who, votes(q.votes)];
    if (q.pinned) flags.push(t("pinned"));
    if (q.answered) flags.push(t("answered"));
    if (q.hidden) flags.push(t("hidden"));
    li.append(text, textEl("p", flags.join(" · "), "meta"));
    if (q.answer) li.append(textEl("p", `${t("answer")}: ${q.answer}`, "qa-answer"));
    const row = document.createElement("div");
    row.className = "tool-actions";
    if (!mine.has(q.id) && !q.hidden) {
      row.append(toggle(t("upvote"), voted.has(q.id), "up:" + q.id, text.id, (on) => send({ type: "question.upvote", question: q.id, on })));
    }
    if (api.fac) {
      row.append(
        toggle(t("pin"), q.pinned, "pin:" + q.id, text.id, (on) => send({ type: "question.pin", question: q.id, pinned: on })),
        toggle(t("hide"), q.hidden, "hide:" + q.id, text.id, (on) => send({ type: "question.hide", question: q.id, hidden: on })),
        toggle(t("answered"), q.answered, "ans:" + q.id, text.id, (on) => send({ type: "question.answer", question: q.id, answered: on, text: on ? q.answer || "" : "" })),
      );
    }
    if (row.childElementCount) li.append(row);
    if (api.fac) li.append(answerForm(q, text.id));
    return li;
  }

  function answerForm(q, describedBy) {
    const d = document.createElement("details");
    d.dataset.keep = "ansd:" + q.id;
    const f = document.createElement("form");
    const id = "qa-ans-" + q.id;
    const label = textEl("label", t("answer-label"));
    label.htmlFor = id;
    const ta = document.createElement("textarea");
    ta.id = id; ta.rows = 2; ta.maxLength = 500; ta.dataset.keep = "ansv:" + q.id;
    ta.defaultValue = q.answer || "";
    const b = button(t("answer-save"), "anss:" + q.id, describedBy);
    b.type = "submit";
    f.append(label, ta, b);
    f.onsubmit = (e) => { e.preventDefault(); send({ type: "question.answer", question: q.id, answered: true, text: ta.value.trim() }); d.open = false; };
    d.append(textEl("summary", t("answer-write")), f);
    return d;
  }

  api.onSnapshot((s) => {
    questions.clear(); mine.clear(); voted.clear();
    for (const q of s.questions || []) remember(q);
    render();
  });
  api.on("question", (m) => {
    const q = m.question;
    const old = questions.get(q.id);
    if (q.hidden && !api.fac) questions.delete(q.id); // hidden by a facilitator
    else remember(q);
    if (m.change === "question.ask" && !q.mine) announce(fmt(t("live-new"), q.text));
    if (m.change === "question.answer" && q.answered && !(old && old.answered)) announce(fmt(t("live-answered"), q.text));
    render();
  });

  const form = box.querySelector("[data-qa-ask]");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const ta = form.querySelector("textarea");
    const text = ta.value.trim();
    if (!text) return;
    send({ type: "question.ask", text, anonymous: form.querySelector("[data-qa-anonymous]").checked });
    ta.value = "";
  });
  if (onlyOpen) onlyOpen.addEventListener("change", render);
  render();
});

// ---- Boards ----

(window.roomTools ||= []).push((api) => {
  const box = api.root.querySelector("[data-boards]");
  if (!box) return;
  const t = dataT(box);
  const list = box.querySelector("[data-boards-list]");
  const announce = announcer(box.querySelector("[data-boards-live]"));
  const send = refusals(api, box.querySelector("[data-boards-status]"), t);
  const colours = (box.dataset.colours || "").split(" ").filter(Boolean);
  const boards = new Map(); // id -> board {…, notes: Map}
  const myNotes = new Set();
  const myDots = new Map(); // note id -> my dots on it
  const votes = (n) => fmt(t(plural(n) === "one" ? "votes-one" : "votes"), n);
  const colourName = (c) => t("colour-" + (c || "none"));

  function fromView(v) {
    const b = { ...v, notes: new Map() };
    for (const n of v.notes) note(b, n);
    return b;
  }

  function note(b, n) {
    if (n.mine) myNotes.add(n.id);
    if (typeof n.dots === "number") { if (n.dots) myDots.set(n.id, n.dots); else myDots.delete(n.id); }
    b.notes.set(n.id, n);
  }

  const left = (b) => b.dots - [...b.notes.keys()].reduce((s, id) => s + (myDots.get(id) || 0), 0);
  const votingOpen = (b) => b.dots > 0 && !b.closed && (!b.ends_at || Date.parse(b.ends_at) > Date.now());
  const countsShown = (b) => [...b.notes.values()].some((n) => typeof n.votes === "number");

  function render() {
    keep(list, () => {
      const bs = [...boards.values()];
      list.replaceChildren(...(bs.length ? bs.map(boardEl) : [textEl("p", t("empty"), "meta")]));
    });
  }

  function boardEl(b) {
    const art = document.createElement("article");
    art.className = "board" + (b.closed ? " is-closed" : "");
    art.dataset.keepItem = b.id; art.tabIndex = -1;
    const h = textEl("h4", b.prompt);
    h.id = "board-h-" + b.id;
    art.setAttribute("aria-labelledby", h.id);
    art.append(h, statusEl(b));
    if (!b.closed) art.append(addForm(b));
    // Unclustered notes first (new ones land there), then the clusters in
    // the order they were first used.
    const groups = new Map([["", []]]);
    for (const n of b.notes.values()) {
      if (!groups.has(n.cluster)) groups.set(n.cluster, []);
      groups.get(n.cluster).push(n);
    }
    const names = [...groups.keys()].filter(Boolean);
    for (const [name, notes] of groups) {
      if (!notes.length) continue;
      const sec = document.createElement("section");
      sec.className = "cluster";
      const ch = textEl("h5", name || t("unclustered"));
      ch.id = `cl-${b.id}-${[...groups.keys()].indexOf(name)}`;
      sec.setAttribute("aria-labelledby", ch.id);
      const ul = document.createElement("ul");
      ul.className = "notes";
      ul.append(...notes.map((n) => noteEl(b, n, names)));
      sec.append(ch, ul);
      art.append(sec);
    }
    if (b.dots > 0 && countsShown(b) && b.notes.size) art.append(results(b));
    if (api.fac) {
      const row = document.createElement("div");
      row.className = "tool-actions";
      if (b.hidden && !b.revealed) { const r = button(t("reveal"), "rev:" + b.id, h.id); r.onclick = () => send({ type: "board.reveal", board: b.id }); row.append(r); }
      if (!b.closed) { const c = button(t("close"), "close:" + b.id, h.id); c.onclick = () => send({ type: "board.close", board: b.id }); row.append(c); }
      if (row.childElementCount) art.append(row);
    }
    return art;
  }

  function statusEl(b) {
    const p = document.createElement("p");
    p.className = "meta";
    const parts = [];
    if (b.closed) parts.push(t("closed"));
    if (b.dots > 0) {
      if (votingOpen(b)) parts.push(fmt(t("left"), left(b), b.dots));
      else if (!b.closed) parts.push(t("voting-over"));
      if (b.hidden && !b.revealed) parts.push(t("hidden"));
    }
    p.textContent = parts.join(" ");
    if (b.dots > 0 && b.ends_at && votingOpen(b)) {
      const span = document.createElement("span");
      span.dataset.boardTimer = b.ends_at;
      span.setAttribute("role", "timer");
      p.append(" ", t("closes-in"), " ", span);
      tick(span);
    }
    return p;
  }

  function addForm(b) {
    const f = document.createElement("form");
    f.className = "note-form";
    const id = "note-new-" + b.id;
    const label = textEl("label", t("note-label"));
    label.htmlFor = id;
    const ta = document.createElement("textarea");
    ta.id = id; ta.rows = 2; ta.maxLength = 280; ta.required = true; ta.dataset.keep = "new:" + b.id;
    const sel = colourSelect("newc:" + b.id, "");
    const add = button(t("add"), "add:" + b.id);
    add.type = "submit";
    f.append(label, ta, sel.label, sel.select, add);
    f.onsubmit = (e) => {
      e.preventDefault();
      const text = ta.value.trim();
      if (!text) return;
      send({ type: "board.note", board: b.id, text, colour: sel.select.value });
      ta.value = "";
    };
    return f;
  }

  function colourSelect(keepKey, value) {
    const select = document.createElement("select");
    select.id = "sel-" + keepKey.replace(/[^\w-]/g, "-");
    select.dataset.keep = keepKey;
    select.append(new Option(colourName(""), ""), ...colours.map((c) => new Option(colourName(c), c)));
    select.value = value;
    const label = textEl("label", t("colour"));
    label.htmlFor = select.id;
    return { label, select };
  }

  function noteEl(b, n, clusters) {
    const li = document.createElement("li");
    li.className = "note" + (n.colour ? " note-" + n.colour : "");
    li.dataset.keepItem = n.id; li.tabIndex = -1;
    const text = textEl("p", n.text, "note-text");
    text.id = "note-" + n.id;
    const meta = [];
    if (n.colour) meta.push(colourName(n.colour));
    if (myNotes.has(n.id)) meta.push(t("mine"));
    if (typeof n.votes === "number" && b.dots > 0) meta.push(votes(n.votes));
    if (myDots.get(n.id)) meta.push(fmt(t("my-dots"), myDots.get(n.id)));
    li.append(text);
    if (meta.length) li.append(textEl("p", meta.join(" · "), "meta"));
    if (b.closed) return li;
    const row = document.createElement("div");
    row.className = "tool-actions";
    if (votingOpen(b)) {
      row.append(
        softButton(t("dot-add"), left(b) > 0, "dot+:" + n.id, text.id, () => send({ type: "board.vote", board: b.id, note: n.id, on: true })),
        softButton(t("dot-remove"), (myDots.get(n.id) || 0) > 0, "dot-:" + n.id, text.id, () => send({ type: "board.vote", board: b.id, note: n.id, on: false })),
      );
    }
    if (myNotes.has(n.id) || api.fac) {
      const del = button(t("delete"), "del:" + n.id, text.id);
      del.onclick = () => send({ type: "board.note.delete", board: b.id, note: n.id });
      row.append(del);
    }
    if (row.childElementCount) li.append(row);
    if (myNotes.has(n.id)) li.append(editForm(b, n, text.id));
    if (api.fac) li.append(moveForm(b, n, clusters, text.id));
    return li;
  }

  function editForm(b, n, describedBy) {
    const d = document.createElement("details");
    d.dataset.keep = "editd:" + n.id;
    const f = document.createElement("form");
    const id = "note-edit-" + n.id;
    const label = textEl("label", t("edit-label"));
    label.htmlFor = id;
    const ta = document.createElement("textarea");
    ta.id = id; ta.rows = 2; ta.maxLength = 280; ta.required = true; ta.dataset.keep = "edit:" + n.id;
    ta.defaultValue = n.text;
    const sel = colourSelect("editc:" + n.id, n.colour);
    const save = button(t("save"), "save:" + n.id, describedBy);
    save.type = "submit";
    f.append(label, ta, sel.label, sel.select, save);
    f.onsubmit = (e) => {
      e.preventDefault();
      const text = ta.value.trim();
      if (!text) return;
      send({ type: "board.note.edit", board: b.id, note: n.id, text, colour: sel.select.value });
      d.open = false;
    };
    d.append(textEl("summary", t("edit")), f);
    return d;
  }

  // Moving a note is a form (a list of clusters or a new name), not drag
  // and drop: it works from the keyboard and with a screen reader.
  function moveForm(b, n, clusters, describedBy) {
    const d = document.createElement("details");
    d.dataset.keep = "moved:" + n.id;
    const f = document.createElement("form");
    const sel = document.createElement("select");
    sel.id = "move-" + n.id; sel.dataset.keep = "moves:" + n.id;
    sel.append(new Option(t("unclustered"), ""), ...clusters.map((c) => new Option(c, c)));
    sel.value = n.cluster;
    const sl = textEl("label", t("cluster"));
    sl.htmlFor = sel.id;
    const inp = document.createElement("input");
    inp.type = "text"; inp.id = "movenew-" + n.id; inp.maxLength = 60; inp.dataset.keep = "moven:" + n.id;
    const il = textEl("label", t("new-cluster"));
    il.htmlFor = inp.id;
    const go = button(t("move-button"), "moveb:" + n.id, describedBy);
    go.type = "submit";
    f.append(sl, sel, il, inp, go);
    f.onsubmit = (e) => {
      e.preventDefault();
      send({ type: "board.cluster", board: b.id, note: n.id, cluster: inp.value.trim() || sel.value });
      inp.value = ""; d.open = false;
    };
    d.append(textEl("summary", t("move")), f);
    return d;
  }

  // Results, ranked, with the numbers written out.
  function results(b) {
    const sec = document.createElement("section");
    sec.className = "board-results";
    const h = textEl("h5", t("results"));
    h.id = "res-" + b.id;
    sec.setAttribute("aria-labelledby", h.id);
    const ol = document.createElement("ol");
    const ns = [...b.notes.values()].sort((x, y) => (y.votes || 0) - (x.votes || 0));
    ol.append(...ns.map((n) => textEl("li", `${n.text}: ${votes(n.votes || 0)}`)));
    sec.append(h, ol);
    return sec;
  }

  function tick(span) {
    const left = Math.max(0, Math.round((Date.parse(span.dataset.boardTimer) - Date.now()) / 1000));
    span.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    return left;
  }

  setInterval(() => {
    let ended = false;
    for (const span of list.querySelectorAll("[data-board-timer]")) ended = tick(span) === 0 || ended;
    if (ended) render(); // voting is over: the dot buttons go
  }, 1000);

  let newNotes = 0;
  api.onSnapshot((s) => {
    boards.clear(); myNotes.clear(); myDots.clear();
    for (const v of s.boards || []) boards.set(v.id, fromView(v));
    render();
  });
  api.on("board", (m) => {
    if (m.view) {
      const old = boards.get(m.board);
      boards.set(m.board, fromView(m.view));
      if (m.change === "board.open") announce(fmt(t("live-open"), m.view.prompt));
      if (m.change === "board.reveal") announce(fmt(t("live-revealed"), m.view.prompt));
      if (m.change === "board.close" && old) announce(fmt(t("live-closed"), m.view.prompt));
    } else {
      const b = boards.get(m.board);
      if (!b) return;
      if (m.deleted) { b.notes.delete(m.note.id); myNotes.delete(m.note.id); myDots.delete(m.note.id); }
      else {
        note(b, m.note);
        if (m.change === "board.note" && !m.note.mine) { newNotes++; if (newNotes === 1) setTimeout(() => { announce(fmt(t(plural(newNotes) === "one" ? "live-notes-one" : "live-notes"), newNotes)); newNotes = 0; }, 3000); }
      }
    }
    render();
  });

  const ctl = (sel) => api.root.querySelector(sel);
  const openBtn = ctl("[data-ctl-board-open]");
  if (openBtn) openBtn.addEventListener("click", () => {
    const prompt = ctl("[data-ctl-board-prompt]");
    if (!prompt.value.trim()) { prompt.focus(); return; }
    send({
      type: "board.open", prompt: prompt.value.trim(), votes: Number(ctl("[data-ctl-board-dots]").value) || 0,
      hidden: ctl("[data-ctl-board-hidden]").checked, seconds: Math.round((Number(ctl("[data-ctl-board-minutes]").value) || 0) * 60),
    });
    prompt.value = "";
  });
  render();
});
