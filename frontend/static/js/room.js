// The live workshop room: progressive enhancement of #room. One websocket,
// reconnect with backoff and last_seq replay, visible connection state.
// UI text comes from data-t-* attributes rendered from the catalogs.

const root = document.getElementById("room");
if (root) setup(root);

function setup(root) {
  const t = (k) => root.dataset["t" + k.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())] || k;
  const $ = (sel) => root.querySelector(sel);
  const state = { ws: null, last: -1, tries: 0, hands: [], people: new Map(), count: 0, next: "", polls: new Map(), me: null, stopped: false, timerEnd: null, agenda: [], keyN: 0 };
  const fac = root.dataset.facilitator === "1";
  const setState = (key) => { $("[data-room-state]").textContent = t(key); root.dataset.state = key; };
  const key = () => `${Date.now().toString(36)}-${(state.keyN++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const pendingSends = new Map(); // key -> frame, resent after a reconnect until acknowledged

  function send(frame) {
    if (frame.type === "people") { if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame)); return; } // a request, not stored
    if (frame.type !== "react" && !frame.key) frame.key = key();
    if (frame.key) pendingSends.set(frame.key, frame);
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
  }

  function connect() {
    setState(state.tries ? "reconnecting" : "connecting");
    const u = new URL(root.dataset.live, location.href);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    if (state.last >= 0) u.searchParams.set("last_seq", String(state.last));
    const ws = new WebSocket(u);
    state.ws = ws;
    ws.onopen = () => { state.tries = 0; setState("connected"); for (const f of pendingSends.values()) ws.send(JSON.stringify(f)); };
    ws.onmessage = (ev) => { try { handle(JSON.parse(ev.data)); } catch (e) { console.warn(e); } };
    ws.onclose = (ev) => {
      // 4003: the member's rights ended (signed out, token revoked, left the group): say so, do not retry.
      if (ev.code === 4003) { state.stopped = true; setState("access-ended"); return; }
      if (ev.code === 4001 || ev.code === 4009) { state.stopped = true; setState("closed"); return; }
      if (state.stopped) return;
      state.tries++;
      const delay = Math.min(30000, 500 * 2 ** Math.min(state.tries, 6)) * (0.5 + Math.random());
      setState("reconnecting");
      setTimeout(connect, delay);
    };
  }

  function handle(m) {
    if (typeof m.seq === "number" && m.type !== "snapshot") {
      if (m.seq <= state.last) return; // already seen (replay overlap)
      state.last = m.seq;
    }
    switch (m.type) {
      case "welcome":
        state.me = m.you; setPeople(m); renderReactions(m.reactions); break;
      case "snapshot": applySnapshot(m); break;
      case "presence":
        // A large room sends the count; followers get who joined and left;
        // a people field replaces the list with its first page.
        if (m.people) setPeople(m);
        for (const id of m.left || []) state.people.delete(id);
        for (const p of m.joined || []) if (!state.next || personLess(p, lastLoaded())) state.people.set(p.id, p);
        if (typeof m.count === "number") state.count = m.count;
        renderPeople(); break;
      case "people":
        if (!m.after) state.people = new Map();
        for (const p of m.people) state.people.set(p.id, p);
        state.next = m.next; state.count = m.count;
        renderPeople();
        break;
      case "chat": addChat(m.from, m.html, m.at, m.group); break;
      case "announce": $("[data-room-announcement]").innerHTML = m.html; break; // html is escaped by the server
      case "hand": case "hand.clear": case "remove": state.hands = m.hands; renderHands(); break;
      case "agenda": renderAgenda(m.item); break;
      case "timer": state.timerEnd = m.ends_at ? new Date(m.ends_at) : null; break;
      case "mute": $("[data-room-chatform] textarea").disabled = m.muted && !fac; if (m.muted) addNotice(t("muted")); break;
      case "poll": state.polls.set(m.poll.id, Object.assign(state.polls.get(m.poll.id) || {}, m.poll)); renderPolls(); break;
      case "reaction": showReaction(m); break;
      case "ack": pendingSends.delete(m.key); for (const fn of handlers.get("ack") || []) fn(m); break;
      case "error": if (m.ref) pendingSends.delete(m.ref); addNotice(m.code === "access_ended" ? t("access-ended") : `${t("error")} ${m.code}`); for (const fn of handlers.get("error") || []) fn(m); break;
      case "room.close": case "room.open": case "noop": break;
      default:
        if (Array.isArray(m.hands)) { state.hands = m.hands; renderHands(); } // breakout.end merges the queues
        for (const fn of handlers.get(m.type) || []) fn(m);
    }
  }

  function applySnapshot(m) {
    state.last = m.seq;
    const s = m.state;
    for (const fn of snapshotHandlers) fn(s);
    state.agenda = s.agenda; state.hands = s.hands; state.timerEnd = s.timer_ends_at ? new Date(s.timer_ends_at) : null;
    state.polls = new Map(s.polls.map((p) => [p.id, p]));
    $("[data-room-announcement]").innerHTML = s.announcement ? s.announcement.html : "";
    $("[data-room-chatform] textarea").disabled = s.muted && !fac;
    renderAgenda(s.agenda_item); renderHands(); renderPolls();
    const sel = root.querySelector("[data-ctl-agenda]");
    if (sel) { sel.replaceChildren(...s.agenda.map((a, i) => new Option(`${i + 1}. ${a.title}`, String(i)))); sel.value = String(s.agenda_item); }
  }

  function addChat(from, html, at, group) {
    const li = document.createElement("li");
    const who = document.createElement("strong");
    // A breakout group's chat is labelled with its group (facilitators
    // see every group's).
    who.textContent = group ? `[${groupName(group)}] ${from.name}` : from.name;
    const when = document.createElement("time");
    when.dateTime = at; when.textContent = new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const body = document.createElement("span");
    body.innerHTML = html; // rendered and escaped by the server (Markdown-lite)
    li.append(who, " ", when, ": ", body);
    const list = $("[data-room-chat]");
    list.append(li);
    while (list.children.length > 300) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  }

  function addNotice(text) {
    const li = document.createElement("li");
    li.className = "notice"; li.textContent = text;
    $("[data-room-chat]").append(li);
  }

  // The server's list order (facilitators first, then name, then id, by
  // code units), so pages and people who join fall in place.
  function personLess(a, b) {
    if ((a.role === "facilitator") !== (b.role === "facilitator")) return a.role === "facilitator";
    if (a.name !== b.name) return a.name < b.name;
    return a.id < b.id;
  }
  const sortedPeople = () => [...state.people.values()].sort((a, b) => (personLess(a, b) ? -1 : personLess(b, a) ? 1 : 0));
  const lastLoaded = () => sortedPeople().pop() || { role: "facilitator", name: "", id: "" };

  function setPeople(m) {
    state.people = new Map(m.people.map((p) => [p.id, p]));
    state.next = m.next || "";
    if (typeof m.count === "number") state.count = m.count;
    renderPeople();
  }

  const more = $("[data-room-people-more]");
  if (more) more.addEventListener("click", () => { if (state.next) send({ type: "people", after: state.next, follow: true }); });

  function renderPeople() {
    const ul = $("[data-room-people]");
    const ps = sortedPeople();
    ul.replaceChildren(...ps.map((p) => {
      const li = document.createElement("li");
      li.textContent = `${p.name} (${t(p.role)}${p.organisation ? ", " + p.organisation : ""})`;
      if (fac && p.id !== state.me?.id && p.role !== "facilitator") {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = t("remove"); b.className = "small";
        b.setAttribute("aria-label", `${t("remove")}: ${p.name}`);
        b.onclick = () => send({ type: "remove", member: p.id });
        li.append(" ", b);
      }
      return li;
    }));
    const count = Math.max(state.count, ps.length);
    $("[data-room-count]").textContent = String(count);
    const shown = $("[data-room-people-shown]");
    if (shown) {
      shown.hidden = !state.next;
      shown.textContent = t("people-shown").replace("{0}", String(ps.length)).replace("{1}", String(count));
    }
    if (more) {
      const hadFocus = document.activeElement === more;
      more.hidden = !state.next;
      if (hadFocus && more.hidden) { ul.tabIndex = -1; ul.focus(); } // the last page is in: keep keyboard users in the list
    }
  }

  function renderHands() {
    const ol = $("[data-room-hands]");
    const mine = state.hands.some((h) => h.person.id === state.me?.id);
    const btn = $("[data-room-hand]");
    btn.setAttribute("aria-pressed", String(mine));
    if (!state.hands.length) { const li = document.createElement("li"); li.textContent = t("hands-empty"); ol.replaceChildren(li); return; }
    // During breakouts facilitators see every group's queue: one list,
    // grouped, each hand labelled with its group.
    const hands = [...state.hands].sort((a, b) => (a.group || "").localeCompare(b.group || "", undefined, { numeric: true }));
    ol.replaceChildren(...hands.map((h) => {
      const li = document.createElement("li");
      li.textContent = h.group ? `[${groupName(h.group)}] ${h.person.name}` : h.person.name;
      if (fac) {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = t("lower"); b.className = "small";
        b.setAttribute("aria-label", `${t("lower")}: ${h.person.name}`);
        b.onclick = () => send({ type: "hand.clear", member: h.person.id });
        li.append(" ", b);
      }
      return li;
    }));
  }

  function renderAgenda(current) {
    const ol = $("[data-room-agenda]");
    ol.replaceChildren(...state.agenda.map((a, i) => {
      const li = document.createElement("li");
      li.textContent = `${a.title} (${a.minutes} min)`;
      if (i === current) li.setAttribute("aria-current", "step");
      return li;
    }));
    const sel = root.querySelector("[data-ctl-agenda]");
    if (sel) sel.value = String(current);
  }

  const plural = new Intl.PluralRules(document.documentElement.lang || "en");
  const votes = (n) => `${n} ${t(plural.select(n) === "one" ? "votes-one" : "votes")}`;

  // Results are HTML bars with the numbers written out: readable by
  // screen readers, no canvas.
  function renderPolls() {
    const box = $("[data-room-polls]");
    box.replaceChildren(...[...state.polls.values()].map((p) => {
      const div = document.createElement("div");
      div.className = "poll";
      const h = document.createElement("h4");
      h.textContent = p.question;
      div.append(h);
      if (p.state === "open" && !(fac && false)) {
        const form = document.createElement("form");
        const name = "poll-" + p.id;
        p.options.forEach((o, i) => {
          const label = document.createElement("label");
          const inp = document.createElement("input");
          inp.type = p.multiple ? "checkbox" : "radio"; inp.name = name; inp.value = String(i);
          if (p.mine && p.mine.includes(i)) inp.checked = true;
          label.append(inp, " ", o);
          form.append(label, document.createElement("br"));
        });
        const b = document.createElement("button");
        b.type = "submit"; b.textContent = t("vote");
        form.append(b);
        form.onsubmit = (e) => {
          e.preventDefault();
          const choices = [...form.querySelectorAll("input:checked")].map((x) => Number(x.value));
          if (choices.length) { p.mine = choices; send({ type: "vote", poll: p.id, choices }); }
        };
        div.append(form);
      }
      if (p.counts) {
        const ul = document.createElement("ul");
        ul.className = "poll-results";
        const total = p.counts.reduce((a, b) => a + b, 0) || 1;
        p.options.forEach((o, i) => {
          const li = document.createElement("li");
          const pct = Math.round((100 * p.counts[i]) / total);
          const label = document.createElement("span");
          label.textContent = `${o}: ${votes(p.counts[i])} (${pct}%)`;
          const bar = document.createElement("span");
          bar.className = "bar"; bar.style.width = pct + "%"; bar.setAttribute("aria-hidden", "true");
          li.append(label, bar);
          ul.append(li);
        });
        div.append(ul);
      } else {
        const pt = document.createElement("p");
        pt.textContent = votes(p.total);
        div.append(pt);
      }
      if (fac) {
        for (const [typ, label] of [["poll.open", "open"], ["poll.close", "close"], ["poll.publish", "publish"]]) {
          const b = document.createElement("button");
          b.type = "button"; b.textContent = t(label); b.className = "small";
          b.onclick = () => send({ type: typ, poll: p.id });
          div.append(b, " ");
        }
      }
      return div;
    }));
  }

  function renderReactions(list) {
    const box = $("[data-room-reactions]");
    box.replaceChildren(...list.map((e) => {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = e; b.className = "reaction";
      b.onclick = () => send({ type: "react", emoji: e });
      return b;
    }));
  }

  function showReaction(m) {
    const feed = $("[data-room-reaction-feed]");
    const span = document.createElement("span");
    span.textContent = `${m.emoji} ${m.from.name} `;
    feed.append(span);
    setTimeout(() => span.remove(), 4000);
  }

  setInterval(() => {
    const el = $("[data-room-timer]");
    if (!state.timerEnd) { el.textContent = "–"; return; }
    const left = Math.max(0, Math.round((state.timerEnd - Date.now()) / 1000));
    el.textContent = left ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : t("timer-done");
  }, 1000);

  $("[data-room-chatform]").addEventListener("submit", (e) => {
    e.preventDefault();
    const ta = e.target.querySelector("textarea");
    if (ta.value.trim()) { send({ type: "chat", text: ta.value }); ta.value = ""; }
  });
  $("[data-room-chatform] textarea").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); e.target.form.requestSubmit(); }
  });
  $("[data-room-hand]").addEventListener("click", (e) => send({ type: "hand", raised: e.currentTarget.getAttribute("aria-pressed") !== "true" }));
  const on = (sel, fn) => { const el = root.querySelector(sel); if (el) el.addEventListener(el.tagName === "SELECT" ? "change" : "click", fn); };
  on("[data-ctl-agenda]", (e) => send({ type: "agenda", item: Number(e.target.value) }));
  on("[data-ctl-timer-start]", () => send({ type: "timer", seconds: Math.round(Number(root.querySelector("[data-ctl-timer]").value) * 60) }));
  on("[data-ctl-timer-stop]", () => send({ type: "timer", seconds: 0 }));
  on("[data-ctl-announce-send]", () => { const i = root.querySelector("[data-ctl-announce]"); send({ type: "announce", text: i.value }); i.value = ""; });
  on("[data-ctl-mute]", (e) => { const b = e.currentTarget; const muted = b.getAttribute("aria-pressed") !== "true"; b.setAttribute("aria-pressed", String(muted)); send({ type: "mute", muted }); });
  on("[data-ctl-poll-create]", () => {
    const q = root.querySelector("[data-ctl-question]"), o = root.querySelector("[data-ctl-options]");
    const options = o.value.split("\n").map((s) => s.trim()).filter(Boolean);
    send({ type: "poll.create", question: q.value, options, multiple: root.querySelector("[data-ctl-multiple]").checked, anonymous: root.querySelector("[data-ctl-anonymous]").checked });
    q.value = ""; o.value = "";
  });
  // Facilitation tools (Q&A, boards, breakouts, notes) live in their own
  // modules and plug in here, whichever module the browser runs first:
  // (window.roomTools ||= []).push((api) => { ... }).
  const handlers = new Map(), snapshotHandlers = [];
  let groupName = (g) => g;
  const api = {
    root, fac, t, send, me: () => state.me, people: () => state.people,
    on(type, fn) { if (!handlers.has(type)) handlers.set(type, []); handlers.get(type).push(fn); },
    onSnapshot(fn) { snapshotHandlers.push(fn); },
    // The breakout module names groups for chat and hand labels.
    setGroupName(fn) { groupName = fn; renderHands(); },
    // resync reconnects without last_seq: a fresh snapshot (the notes
    // editor's way back after an op too old to merge).
    resync() { state.last = -1; if (state.ws) state.ws.close(); },
  };
  for (const tool of window.roomTools || []) tool(api);
  window.roomTools = { push: (tool) => tool(api) };

  $("[data-room-enter]").addEventListener("click", (e) => {
    e.currentTarget.hidden = true;
    $("[data-room-body]").hidden = false;
    connect();
  });
}

// Show every <time class="local-time"> in the reader's own time zone.
for (const el of document.querySelectorAll("time.local-time")) {
  const d = new Date(el.dateTime);
  // (dateStyle and timeStyle cannot be combined with timeZoneName.)
  if (!isNaN(d)) el.textContent = d.toLocaleString(document.documentElement.lang, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
}
