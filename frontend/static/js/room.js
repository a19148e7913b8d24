// The live workshop room: progressive enhancement of #room. One websocket,
// reconnect with backoff and last_seq replay, visible connection state.
// UI text comes from data-t-* attributes rendered from the catalogs.

// The page's language as a locale for dates and times. Plain "en" would
// format as in the United States (12-hour clock); the portal's English is
// European, so it uses the British conventions (24-hour clock).
const uiLocale = ((l) => (l === "en" ? "en-GB" : l || undefined))(document.documentElement.lang);

const root = document.getElementById("room");
if (root) setup(root);

function setup(root) {
  const t = (k) => root.dataset["t" + k.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())] || k;
  const $ = (sel) => root.querySelector(sel);
  const state = { chatCap: 300, ws: null, last: -1, tries: 0, hands: [], people: new Map(), count: 0, next: "", polls: new Map(), me: null, stopped: false, timerEnd: null, agenda: [], keyN: 0 };
  const fac = root.dataset.facilitator === "1";
  const setState = (key) => { $("[data-room-state]").textContent = t(key); root.dataset.state = key; };
  const key = () => `${Date.now().toString(36)}-${(state.keyN++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const pendingSends = new Map(); // key -> frame, resent after a reconnect until acknowledged

  function send(frame) {
    if (frame.type === "people" || frame.type === "chat.history") { if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame)); return; } // a request, not stored
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
      if (ev.code === 4001) { shut("removed"); return; }
      if (ev.code === 4009) { shut(ev.reason === "room_not_open" ? "room_not_open" : "room_closed"); return; }
      if (ev.code === 4003) { shut("access_ended"); return; } // signed out, token revoked, left the group: do not retry
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
        state.me = m.you; setPeople(m); break;
      case "snapshot": applySnapshot(m); break;
      case "waiting": enterWaiting(m); break;
      case "admitted": leaveWaiting(); break;
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
      case "chat": addChat(m); announceChat(m); if (m.from.id !== state.me?.id) unseen(); break;
      case "chat.history": prependChat(m.messages, m.more); break;
      case "announce": // html is escaped by the server
        $("[data-room-announcement]").innerHTML = m.html;
        if (m.text) activity(t("activity-announce").replace("{0}", m.text), null, false); // its region speaks
        break;
      case "hand": case "hand.clear": case "remove": state.hands = m.hands; renderHands(); break;
      case "agenda": renderAgenda(m.item); moveStage("agenda", ""); break;
      case "stage": activity(t("activity-stage").replace("{0}", toolName(m.tool)), m.tool, true); break;
      case "timer": state.timerEnd = m.ends_at ? new Date(m.ends_at) : null; break;
      case "mute": setMuted(m.muted); break;
      case "poll":
        state.polls.set(m.poll.id, Object.assign(state.polls.get(m.poll.id) || {}, m.poll)); renderPolls();
        if (m.change === "poll.open") activity(t("activity-poll").replace("{0}", m.poll.question), "poll", true);
        break;
      case "reaction": showReaction(m); break;
      case "ack": pendingSends.delete(m.key); for (const fn of handlers.get("ack") || []) fn(m); break;
      case "error":
        if (m.ref) pendingSends.delete(m.ref);
        // A sentence for the room's own refusals; the tools explain theirs
        // next to what was refused. Muted and shut rooms say so where the
        // input is, once.
        if (m.code === "chat_muted") setMuted(true);
        else if (!["removed", "room_closed", "room_not_open", "access_ended"].includes(m.code) && errText(m.code)) addNotice(errText(m.code));
        for (const fn of handlers.get("error") || []) fn(m);
        break;
      case "room.close": case "room.open": case "noop": break;
      default:
        if (Array.isArray(m.hands)) { state.hands = m.hands; renderHands(); } // breakout.end merges the queues
        for (const fn of handlers.get(m.type) || []) fn(m);
    }
  }

  function applySnapshot(m) {
    state.last = m.seq;
    const s = m.state;
    // The snapshot carries the chat history's last page: a reload or a
    // late join shows what was said (a resync replaces what was shown).
    $("[data-room-chat]").replaceChildren();
    state.chatCap = CHAT_KEEP;
    for (const c of s.chat || []) addChat(c, true);
    setChatMore(!!s.chat_more);
    scrollChat();
    for (const fn of snapshotHandlers) fn(s);
    state.agenda = s.agenda; state.hands = s.hands; state.timerEnd = s.timer_ends_at ? new Date(s.timer_ends_at) : null;
    state.polls = new Map(s.polls.map((p) => [p.id, p]));
    $("[data-room-announcement]").innerHTML = s.announcement ? s.announcement.html : "";
    setMuted(s.muted);
    renderAgenda(s.agenda_item); renderHands(); renderPolls();
    // Entering (or a resync) shows what the room shows.
    stage.room = s.stage || "agenda"; showTool(stage.room);
    const sel = root.querySelector("[data-ctl-agenda]");
    if (sel) { sel.replaceChildren(...s.agenda.map((a, i) => new Option(`${i + 1}. ${a.title}`, String(i)))); sel.value = String(s.agenda_item); }
  }

  // The chat keeps at most chatCap messages; older ones are dropped from
  // the page and come back with "Load earlier messages".
  const CHAT_KEEP = 300;
  const earlier = $("[data-room-chat-earlier]");
  if (earlier) earlier.addEventListener("click", () => {
    const first = $("[data-room-chat] li[data-seq]");
    send({ type: "chat.history", before: first ? Number(first.dataset.seq) : 0 });
  });
  function setChatMore(more) { if (earlier) earlier.hidden = !more; }
  function scrollChat() { const list = $("[data-room-chat]"); list.scrollTop = list.scrollHeight; }

  function prependChat(msgs, more) {
    const list = $("[data-room-chat]");
    const first = list.querySelector("li[data-seq]");
    const before = first ? Number(first.dataset.seq) : Infinity;
    const height = list.scrollHeight;
    const items = msgs.filter((c) => c.seq < before).map(chatItem);
    list.prepend(...items);
    state.chatCap = Math.max(state.chatCap, list.querySelectorAll("li[data-seq]").length);
    list.scrollTop += list.scrollHeight - height; // keep the reader's place
    const hadFocus = document.activeElement === earlier;
    setChatMore(more);
    if (hadFocus && !more) { list.tabIndex = -1; list.focus(); } // the first message is in: keep keyboard users in the chat
  }

  // A message from someone else is read out once by the polite live
  // region; the list itself is not live, so a history page is not read
  // out whole.
  function announceChat(m) {
    if (m.from.id === state.me?.id) return;
    const live = $("[data-room-chat-live]");
    if (live) live.textContent = `${m.from.name}: ${m.text}`;
  }

  function addChat(m, quiet) {
    const list = $("[data-room-chat]");
    list.append(chatItem(m));
    let n = list.querySelectorAll("li[data-seq]").length;
    while (n-- > state.chatCap) { list.querySelector("li[data-seq]").remove(); setChatMore(true); }
    if (!quiet) scrollChat();
  }

  function chatItem(m) {
    const { from, html, at, group } = m;
    const li = document.createElement("li");
    li.dataset.seq = String(m.seq);
    const who = document.createElement("strong");
    // A breakout group's chat is labelled with its group (facilitators
    // see every group's).
    who.textContent = group ? `[${groupName(group)}] ${from.name}` : from.name;
    const when = document.createElement("time");
    when.dateTime = at; when.textContent = new Date(at).toLocaleTimeString(uiLocale, { hour: "2-digit", minute: "2-digit" });
    const body = document.createElement("span");
    body.innerHTML = html; // rendered and escaped by the server (Markdown-lite)
    li.append(who, " ", when, ": ", body);
    return li;
  }

  // The sentence for an error code (data-t-err-<code>), "" for codes the
  // tools explain themselves.
  const errText = (code) => (code && root.dataset["tErr" + code[0].toUpperCase() + code.slice(1)]) || "";

  // Muted: participants' chat input is disabled, with the reason beside it.
  function setMuted(muted) {
    const toggle = root.querySelector("[data-ctl-mute]");
    if (toggle) toggle.setAttribute("aria-pressed", String(!!muted)); // a co-facilitator's, or before a reload
    if (fac || state.stopped) return;
    const form = $("[data-room-chatform]");
    for (const el of form.querySelectorAll("textarea, button")) el.disabled = muted;
    $("[data-room-chat-reason]").textContent = muted ? t("muted") : "";
  }

  // shut ends the member's time in the room (closed, not open yet, or
  // removed): the designed state shows what happened, what was said stays
  // readable, and every input is disabled with the reason.
  function shut(kind) {
    state.stopped = true;
    setState({ removed: "removed", room_not_open: "not-open", access_ended: "access-ended" }[kind] || "closed");
    for (const box of root.querySelectorAll("[data-room-shut]")) box.hidden = box.dataset.roomShut !== kind;
    const body = $("[data-room-body]");
    for (const el of body.querySelectorAll("textarea, input, button, select")) el.disabled = true;
    const reason = kind === "access_ended" ? t("access-ended") : errText(kind) || t("shut-reason");
    $("[data-room-chat-reason]").textContent = reason;
    for (const el of body.querySelectorAll("[data-notes-status]")) el.textContent = reason;
    const enter = $("[data-room-enter]");
    enter.hidden = false; enter.disabled = true;
  }

  // The stage shows one activity at a time, large: the one the room is on
  // (stage.room: the agenda step, an opened poll or board, running
  // breakouts, or what the facilitator put there), unless the member
  // picked another from "other activities" (stage.shown). Facilitators
  // follow the room always; they move it.
  const stage = { room: "agenda", shown: "agenda" };
  const cards = [...root.querySelectorAll("[data-stage-tool]")];
  const picks = [...root.querySelectorAll("[data-stage-pick]")];
  const put = $("[data-stage-put]");
  const toolName = (tool) => { const b = picks.find((p) => p.dataset.stagePick === tool); return b ? b.firstChild.textContent : tool; };
  function showTool(tool) {
    if (!cards.some((c) => c.dataset.stageTool === tool)) tool = "agenda";
    stage.shown = tool;
    for (const c of cards) c.hidden = c.dataset.stageTool !== tool;
    for (const b of picks) {
      b.setAttribute("aria-pressed", String(b.dataset.stagePick === tool));
      b.querySelector("[data-stage-live]").hidden = b.dataset.stagePick !== stage.room;
    }
    if (put) put.hidden = tool === stage.room;
    if (banner && bannerTool === tool) banner.hidden = true;
  }
  for (const b of picks) b.addEventListener("click", () => showTool(b.dataset.stagePick));
  if (put) put.addEventListener("click", () => send({ type: "stage", tool: stage.shown }));
  // moveStage follows the room to tool; it reports whether the member
  // sees it now. A member typing, or looking at another activity they
  // picked, keeps what they have: the banner offers the way back.
  function moveStage(tool) {
    const following = stage.shown === stage.room;
    stage.room = tool;
    if (fac || (following && !typing())) showTool(tool);
    else showTool(stage.shown); // marks where the room is now
    return stage.shown === tool;
  }

  // Activity that reaches people: when a poll, a board, breakouts or an
  // announcement start, the stage follows (moveStage); a member who is
  // typing, or who picked another activity, gets a banner with a button
  // instead (their text stays as it is); screen readers hear it once,
  // through one polite region (or the tool's own); a hidden tab counts it
  // in its title.
  const banner = $("[data-room-activity]");
  let bannerTool = null;
  const baseTitle = document.title;
  let unseenN = 0;
  function unseen() {
    if (!document.hidden) return;
    unseenN++;
    document.title = `(${unseenN}) ${baseTitle}`;
  }
  document.addEventListener("visibilitychange", () => { if (!document.hidden) { unseenN = 0; document.title = baseTitle; } });
  function typing() {
    const el = document.activeElement;
    return !!el && root.contains(el) && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && /^(text|search|)$/.test(el.type)));
  }
  // activity(text, tool, speak): tool is the stage tool that started
  // (null for an announcement, which is always on the stage).
  function activity(text, tool, speak) {
    unseen();
    root.dispatchEvent(new CustomEvent("room:activity")); // the phone layout's stage badge counts it
    const typed = typing();
    const shown = tool ? moveStage(tool) : true;
    if (fac) return; // facilitators start these themselves
    if (speak) $("[data-room-activity-live]").textContent = text;
    if (!banner || (shown && !typed)) return;
    bannerTool = tool;
    $("[data-room-activity-text]").textContent = text;
    banner.hidden = false;
  }
  if (banner) {
    $("[data-room-activity-show]").addEventListener("click", () => {
      banner.hidden = true;
      if (bannerTool) showTool(bannerTool);
      const target = bannerTool ? cards.find((c) => c.dataset.stageTool === bannerTool) : $("[data-room-announcement]").parentElement;
      if (!target) return;
      target.scrollIntoView({ block: "start" });
      // Keyboard and screen-reader users land on what started.
      const focusable = target.querySelector("input, button, textarea, select");
      if (focusable && !focusable.disabled) focusable.focus();
      else { target.tabIndex = -1; target.focus(); }
    });
    $("[data-room-activity-dismiss]").addEventListener("click", () => { banner.hidden = true; });
  }

  // The waiting room (when the workshop has one and the member comes
  // early): the stage gives way to when the room opens and who else waits;
  // the chat works if the facilitator allows it; hand and reactions wait
  // for the room, with the reason. "admitted" ends it; the snapshot that
  // follows brings the room.
  const waitingBox = $("[data-room-waiting]");
  function enterWaiting(m) {
    state.waiting = true;
    root.dataset.waiting = "1";
    setState("waiting");
    waitingBox.hidden = false;
    const opens = $("[data-room-waiting-opens]"), d = new Date(m.opens_at);
    opens.textContent = d.toLocaleString(uiLocale, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    const chatNote = $("[data-room-waiting-chat]");
    chatNote.textContent = m.chat ? chatNote.dataset.yes : chatNote.dataset.no;
    $("[data-room-chat]").replaceChildren();
    for (const c of m.messages || []) addChat(c, true);
    setChatMore(!!m.more);
    waitingInputs(true, m.chat);
    renderPeople();
  }
  function leaveWaiting() {
    if (!state.waiting) return;
    state.waiting = false;
    delete root.dataset.waiting;
    waitingBox.hidden = true;
    setState("connected");
    waitingInputs(false, true);
    $("[data-room-activity-live]").textContent = t("wait-admitted");
  }
  function waitingInputs(on, chat) {
    for (const el of root.querySelectorAll("[data-room-hand], [data-reaction]")) {
      el.disabled = on;
      if (on) el.setAttribute("aria-describedby", "room-wait-reason"); else el.removeAttribute("aria-describedby");
    }
    const form = $("[data-room-chatform]");
    for (const el of form.querySelectorAll("textarea, button")) el.disabled = on && !chat;
    $("[data-room-chat-reason]").textContent = on && !chat ? t("wait-reason") : "";
    $("[data-room-wait-reason]").textContent = on ? t("wait-reason") : "";
  }
  function renderWaiting() {
    if (!state.waiting) return;
    const others = sortedPeople().filter((p) => p.waiting && p.id !== state.me?.id).map((p) => p.name);
    const el = $("[data-room-waiting-others]");
    el.textContent = others.length ? others.join(", ") : el.dataset.alone;
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
      li.textContent = `${p.name} (${t(p.role)}${p.organisation ? ", " + p.organisation : ""}${p.waiting ? ", " + t("people-waiting") : ""})`;
      if (fac && p.id !== state.me?.id && p.role !== "facilitator") {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = t("remove"); b.className = "small";
        b.setAttribute("aria-label", `${t("remove")}: ${p.name}`);
        b.onclick = () => send({ type: "remove", member: p.id });
        li.append(" ", b);
      }
      return li;
    }));
    renderWaiting();
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
    // The label says what the button does now ("Lower my hand" once it is
    // up), so it is a plain button, not a toggle whose label must stay.
    btn.dataset.raised = String(mine);
    btn.textContent = t(mine ? "hand-lower" : "hand-raise");
    // An empty queue says so in a sentence, not as item 1 of a list.
    $("[data-room-hands-empty]").hidden = state.hands.length > 0;
    ol.hidden = !state.hands.length;
    if (!state.hands.length) { ol.replaceChildren(); return; }
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
    const now = state.agenda[current];
    $("[data-stage-now-title]").textContent = now ? now.title : "–";
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
        // Only the actions that apply to the poll as it is now.
        const actions = [["poll.open", "open", p.state !== "open"], ["poll.close", "close", p.state === "open"], ["poll.publish", "publish", p.state !== "draft" && !p.published]];
        for (const [typ, label] of actions.filter((a) => a[2])) {
          const b = document.createElement("button");
          b.type = "button"; b.textContent = t(label); b.className = "small";
          b.onclick = () => send({ type: typ, poll: p.id });
          div.append(b, " ");
        }
      }
      return div;
    }));
  }

  // Reactions: the page draws the buttons (the discussions' icons, each
  // with its word for screen readers); what others send shows for a few
  // seconds as the same icon and word, with who sent it.
  for (const b of root.querySelectorAll("[data-reaction]")) b.addEventListener("click", () => send({ type: "react", reaction: b.dataset.reaction }));
  function showReaction(m) {
    const face = root.querySelector(`[data-reaction="${CSS.escape(m.reaction)}"]`);
    if (!face) return;
    const feed = $("[data-room-reaction-feed]");
    const span = document.createElement("span");
    span.className = "reaction-sent";
    const icon = face.querySelector("img").cloneNode();
    const word = document.createElement("span");
    word.className = "visually-hidden"; word.textContent = face.title + ":";
    span.append(icon, word, ` ${m.from.name}`);
    feed.append(span);
    setTimeout(() => span.remove(), 4000);
  }

  setInterval(() => {
    const el = $("[data-room-timer]"), big = $("[data-stage-timer]");
    if (!state.timerEnd) { el.textContent = "–"; big.textContent = ""; return; }
    const left = Math.max(0, Math.round((state.timerEnd - Date.now()) / 1000));
    el.textContent = left ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : t("timer-done");
    big.textContent = el.textContent; // the top bar's timer is the one read out
  }, 1000);

  $("[data-room-chatform]").addEventListener("submit", (e) => {
    e.preventDefault();
    const ta = e.target.querySelector("textarea");
    if (ta.value.trim()) { send({ type: "chat", text: ta.value }); ta.value = ""; }
  });
  $("[data-room-chatform] textarea").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); e.target.form.requestSubmit(); }
  });
  $("[data-room-hand]").addEventListener("click", (e) => send({ type: "hand", raised: e.currentTarget.dataset.raised !== "true" }));
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
    // activity(text, tool, speak): see activity above.
    activity: (text, target, speak) => activity(text, target, speak),
    on(type, fn) { if (!handlers.has(type)) handlers.set(type, []); handlers.get(type).push(fn); },
    onSnapshot(fn) { snapshotHandlers.push(fn); },
    // The breakout module names groups for chat and hand labels.
    setGroupName(fn) { groupName = fn; renderHands(); },
    // resync reconnects without last_seq: a fresh snapshot (the notes
    // editor's way back after an op too old to merge).
    resync() { state.last = -1; if (state.ws) state.ws.close(); },
  };
  // Boards and breakouts starting reach people too; their modules speak
  // for themselves, so only the banner and the title come from here.
  api.on("board", (m) => { if (m.change === "board.open" && m.view) activity(t("activity-board").replace("{0}", m.view.prompt), "board", false); });
  api.on("breakout.start", () => activity(t("activity-breakout"), "breakout", false));
  api.on("breakout.end", () => moveStage("agenda"));
  for (const tool of window.roomTools || []) tool(api);
  window.roomTools = { push: (tool) => tool(api) };

  $("[data-room-enter]").addEventListener("click", (e) => {
    e.currentTarget.hidden = true;
    $("[data-room-body]").hidden = false;
    connect();
  });
}

// Show every <time class="local-time"> in the reader's own time zone, in
// the page language's format, with the zone named.
for (const el of document.querySelectorAll("time.local-time")) {
  const d = new Date(el.dateTime);
  // (dateStyle and timeStyle cannot be combined with timeZoneName.)
  if (!isNaN(d)) el.textContent = d.toLocaleString(uiLocale, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
}
