// Shared notes in the live room: plain text merged by operational
// transformation, the server ordering every op (see docs/live-protocol.md).
// An op is an array: n > 0 keeps n units, n < 0 deletes -n, a string
// inserts it; units are UTF-16 code units, JavaScript's own.
//
// Each document keeps one op in flight. What the member typed since is not
// kept as an op: it is the difference between the textarea and "shadow"
// (the server's text plus the op in flight), computed when needed, so
// remote ops transform over it without composing ops.

export function applyOp(text, op) {
  let out = "", i = 0;
  for (const c of op) {
    if (typeof c === "string") out += c;
    else if (c > 0) { out += text.slice(i, i + c); i += c; }
    else i -= c;
  }
  if (i !== text.length) throw new Error("op does not fit");
  return out;
}

function push(op, c) {
  if (c === 0 || c === "") return;
  const l = op[op.length - 1];
  if (typeof c === "string" && typeof l === "string") op[op.length - 1] = l + c;
  else if (typeof c === "number" && typeof l === "number" && (c > 0) === (l > 0)) op[op.length - 1] = l + c;
  else op.push(c);
}

// transform(a, b) -> [a2, b2]: a then b2 equals b then a2. At the same
// place a's insert comes first: a is always the op the server ordered first.
export function transform(a, b) {
  const a2 = [], b2 = [];
  let i = 0, j = 0, x = a[i++], y = b[j++];
  while (x !== undefined || y !== undefined) {
    if (typeof x === "string") { push(a2, x); push(b2, x.length); x = a[i++]; continue; }
    if (typeof y === "string") { push(a2, y.length); push(b2, y); y = b[j++]; continue; }
    if (x === undefined || y === undefined) throw new Error("ops do not fit");
    const m = Math.min(Math.abs(x), Math.abs(y));
    if (x > 0 && y > 0) { push(a2, m); push(b2, m); } else if (x < 0 && y > 0) push(a2, -m); else if (x > 0 && y < 0) push(b2, -m);
    x = x > 0 ? x - m : x + m; if (x === 0) x = a[i++];
    y = y > 0 ? y - m : y + m; if (y === 0) y = b[j++];
  }
  return [a2, b2];
}

const high = (c) => c >= 0xd800 && c <= 0xdbff;

// diff: the op from a to b by common prefix and suffix, never splitting a
// surrogate pair (the server reads inserts as Unicode text).
export function diff(a, b) {
  let p = 0;
  const n = Math.min(a.length, b.length);
  while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  if (p > 0 && high(a.charCodeAt(p - 1))) p--;
  let s = 0;
  while (s < n - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  if (s > 0 && s < a.length - p && high(a.charCodeAt(a.length - 1 - s))) s--;
  const op = [];
  push(op, p);
  push(op, -(a.length - p - s));
  push(op, b.slice(p, b.length - s));
  push(op, s);
  return op;
}

// moveIndex: where a caret at i ends up after op (a remote insert at the
// caret goes before it).
export function moveIndex(op, i) {
  let at = 0, out = i;
  for (const c of op) {
    if (at > i) break;
    if (typeof c === "string") { if (at < i) out += c.length; } else if (c > 0) at += c;
    else { out -= Math.min(-c, Math.max(0, i - at)); at -= c; }
  }
  return out;
}

const recent = 10000; // "editing now": an op in the last 10 s

(window.roomTools ||= []).push((api) => {
  const { root, t, send } = api;
  const docs = new Map(); // doc id -> {shadow, rev, inflight, base, editors}
  const editors = []; // bound textareas: {doc, ta, status, who}
  const doc = (id) => {
    if (!docs.has(id)) docs.set(id, { shadow: "", rev: 0, inflight: null, base: "", editors: new Map() });
    return docs.get(id);
  };
  const bound = (id) => editors.find((e) => e.doc === id && e.ta);

  function bind(el) {
    const e = { doc: el.dataset.notesDoc ?? "", ta: el.querySelector("textarea"), status: el.querySelector("[data-notes-status]"), who: el.querySelector("[data-notes-who]") };
    let timer = null;
    // Ops go at most four a second: the room allows a client about five frames a second.
    e.ta.addEventListener("input", () => { setStatus(e, "notes-unsaved"); if (!timer) timer = setTimeout(() => { timer = null; flush(e.doc); }, 250); });
    editors.push(e);
    return e;
  }
  function setStatus(e, key) { if (e.status) e.status.textContent = t(key); }

  function flush(id) {
    const d = doc(id), e = bound(id);
    if (!e || d.inflight || e.ta.readOnly) return;
    const op = diff(d.shadow, e.ta.value);
    if (op.length === 0 || (op.length === 1 && typeof op[0] === "number" && op[0] > 0)) { setStatus(e, "notes-saved"); return; }
    const frame = { type: "notes.op", doc: id, rev: d.rev, ops: op };
    send(frame); // send sets frame.key
    d.inflight = { key: frame.key, op };
    d.base = d.shadow;
    d.shadow = e.ta.value;
    setStatus(e, "notes-saving");
  }

  api.on("notes.op", (m) => {
    const d = doc(m.doc), e = bound(m.doc);
    d.editors.set(m.by.name, Date.now());
    if (d.inflight && m.key === d.inflight.key && m.by.id === api.me()?.id) {
      d.inflight = null; d.rev = m.rev;
      if (e) { setStatus(e, "notes-saved"); flush(m.doc); }
      renderWho();
      return;
    }
    let op = m.ops;
    if (d.inflight) [op, d.inflight.op] = transform(op, d.inflight.op);
    if (e) {
      // The member's unsent typing is the difference from shadow; the
      // remote op goes over it, and the caret stays where it was.
      const local = diff(d.shadow, e.ta.value);
      const [op2] = transform(op, local);
      const start = moveIndex(op2, e.ta.selectionStart), end = moveIndex(op2, e.ta.selectionEnd);
      const focused = document.activeElement === e.ta;
      e.ta.value = applyOp(e.ta.value, op2);
      if (focused) e.ta.setSelectionRange(start, end);
    }
    d.shadow = applyOp(d.shadow, op);
    d.rev = m.rev;
    renderWho();
  });

  api.on("error", (m) => {
    for (const [id, d] of docs) {
      if (!d.inflight || d.inflight.key !== m.ref) continue;
      const e = bound(id);
      if (m.code === "notes_reload") { api.resync(); return; }
      // Refused: what the member typed stays in the box, unsaved. A busy
      // server (not stored, or too many frames) gets the edit again soon.
      d.inflight = null; d.shadow = d.base;
      if (m.code === "unavailable" || m.code === "rate_limited") {
        if (e) setStatus(e, "notes-unsaved");
        setTimeout(() => flush(id), 1000);
      } else if (e) setStatus(e, m.code === "notes_too_long" ? "notes-too-long" : "notes-refused");
    }
  });

  // Group notes belong to a round: a new round's start empties them.
  let round = null;
  api.onSnapshot((s) => {
    round = s.breakouts ? s.breakouts.round : null;
    for (const [id, v] of Object.entries(s.notes || {})) {
      const d = doc(id);
      d.shadow = v.text; d.rev = v.rev; d.inflight = null;
      const e = bound(id);
      if (e) { e.ta.value = v.text; setStatus(e, "notes-saved"); }
    }
  });


  function renderWho() {
    const now = Date.now();
    for (const e of editors) {
      if (!e.who) continue;
      const names = [...doc(e.doc).editors].filter(([, at]) => now - at < recent).map(([n]) => n);
      e.who.textContent = names.length ? `${t("notes-editing")} ${names.join(", ")}` : "";
    }
  }
  setInterval(renderWho, 2000);

  for (const el of root.querySelectorAll("[data-notes-editor]")) bind(el);

  // The group editor follows the member's group (or the facilitator's
  // visit): the breakout module says which, and whether it is editable.
  root.addEventListener("room:group", (ev) => {
    const e = editors.find((x) => x.ta && x.ta.closest("[data-notes-group]"));
    if (!e) return;
    const { group, name, editable } = ev.detail;
    if (ev.detail.round !== round) {
      round = ev.detail.round;
      for (const id of [...docs.keys()]) if (id) docs.delete(id);
      e.doc = "-";
    }
    const box = e.ta.closest("[data-notes-group]");
    box.hidden = !group;
    if (!group) return;
    if (e.doc !== group) {
      e.doc = group;
      e.ta.value = doc(group).shadow;
    }
    e.ta.readOnly = !editable;
    const h = box.querySelector("[data-notes-group-name]");
    if (h) h.textContent = name;
    setStatus(e, editable ? "notes-saved" : "notes-readonly");
  });
});
