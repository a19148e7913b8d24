// Breakout groups in the live room: where the member is, the group's
// members and the facilitators' broadcast; for facilitators the controls
// to start, move people, visit, broadcast and end. The group's chat, hands
// and notes arrive filtered by the server; room.js and room-notes.js show them.

(window.roomTools ||= []).push((api) => {
  const { root, fac, t, send } = api;
  const box = root.querySelector("[data-breakout]");
  if (!box) return;
  const $ = (sel) => root.querySelector(sel);
  let view = { running: false, groups: [], visits: {}, message: null, ends_at: null, mode: "" };
  let mine = "";

  // Countries and languages by name in the page's language, never as codes.
  const lang = document.documentElement.lang || "en";
  const named = (type, code) => { try { return new Intl.DisplayNames([lang], { type }).of(code) || code; } catch { return code; } };
  const name = (g) => {
    const x = view.groups.find((y) => y.id === g);
    if (!x) return g;
    // The name a facilitator gave it; for a group by attribute, what it
    // gathers; or its number: the outcome names it the same way.
    if (x.name) return x.name;
    if (x.attr === "country") return x.key ? named("region", x.key) : t("breakout-country-none");
    if (x.attr === "language") return x.key ? t("breakout-lang-group").replace("{0}", named("language", x.key)) : t("breakout-lang-none");
    return t("breakout-group-n").replace("{0}", x.id.slice(1));
  };
  api.setGroupName(name);

  // Members' group from the view; moves and picks change it.
  function setMember(person, group) {
    for (const g of view.groups) g.members = g.members.filter((p) => p.id !== person.id);
    const g = view.groups.find((y) => y.id === group);
    if (g) g.members.push(person);
    if (person.id === api.me()?.id) mine = group;
  }

  function current() { return fac ? view.visits[api.me()?.id] || "" : mine; }

  function render() {
    const status = $("[data-breakout-status]");
    const g = current();
    if (!view.running) status.textContent = view.groups.length ? t("breakout-ended") : t("breakout-none");
    else if (g) status.textContent = `${t(fac ? "breakout-visiting" : "breakout-in")} ${name(g)}`;
    else status.textContent = t("breakout-main");
    const msg = $("[data-breakout-message]");
    msg.innerHTML = view.running && view.message ? view.message.html : ""; // escaped by the server
    const mg = view.groups.find((y) => y.id === g);
    const ul = $("[data-breakout-members]");
    ul.replaceChildren(...(mg ? mg.members : []).map((p) => { const li = document.createElement("li"); li.textContent = p.name; return li; }));
    const pick = $("[data-breakout-pick]");
    pick.replaceChildren();
    if (view.running && view.mode === "choice" && !fac) {
      for (const x of view.groups) {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = name(x.id);
        b.setAttribute("aria-pressed", String(x.id === mine));
        b.onclick = () => send({ type: "breakout.pick", group: x.id });
        pick.append(b, " ");
      }
    }
    const ends = $("[data-breakout-ends]");
    ends.textContent = view.running && view.ends_at ? `${t("breakout-until")} ${new Date(view.ends_at).toLocaleTimeString(document.documentElement.lang === "en" ? "en-GB" : document.documentElement.lang, { hour: "2-digit", minute: "2-digit" })}` : "";
    // The group notes: the member's group (read only after the round),
    // or the group a facilitator visits.
    const notesGroup = g || (!view.running && !fac ? mine : "");
    root.dispatchEvent(new CustomEvent("room:group", { detail: { round: view.round, group: notesGroup, name: notesGroup ? name(notesGroup) : "", editable: view.running && !!g } }));
    if (fac) renderControls();
  }

  let peopleKey = "";
  function renderControls() {
    const visit = $("[data-ctl-breakout-visit]");
    if (visit && document.activeElement !== visit) {
      visit.replaceChildren(new Option(t("breakout-main-room"), ""), ...view.groups.map((x) => new Option(name(x.id), x.id)));
      visit.value = current();
    }
    for (const el of root.querySelectorAll("[data-ctl-breakout-running]")) el.disabled = !view.running;
    const rename = $("[data-ctl-breakout-rename-group]");
    if (rename && document.activeElement !== rename) {
      const was = rename.value;
      rename.replaceChildren(...view.groups.map((x) => new Option(name(x.id), x.id)));
      if (view.groups.some((x) => x.id === was)) rename.value = was;
    }
    for (const el of root.querySelectorAll("[data-ctl-breakout-rename-group], [data-ctl-breakout-rename-name], [data-ctl-breakout-rename]")) el.disabled = !view.groups.length;
    const list = $("[data-ctl-breakout-people]");
    if (!list || list.contains(document.activeElement)) return;
    const of = new Map();
    for (const x of view.groups) for (const p of x.members) of.set(p.id, x.id);
    const ps = [...api.people().values()].filter((p) => p.role !== "facilitator").sort((a, b) => a.name.localeCompare(b.name));
    peopleKey = ps.map((p) => p.id + of.get(p.id)).join() + view.groups.length + view.running;
    if (!view.running) { list.replaceChildren(); return; }
    list.replaceChildren(...ps.map((p, i) => {
      const li = document.createElement("li");
      const label = document.createElement("label");
      const sel = document.createElement("select");
      sel.id = `bo-move-${i}`; label.htmlFor = sel.id;
      label.textContent = `${t("breakout-move")} ${p.name}`;
      sel.append(new Option(t("breakout-main-room"), ""), ...view.groups.map((x) => new Option(name(x.id), x.id)));
      sel.value = of.get(p.id) || "";
      sel.onchange = () => send({ type: "breakout.move", member: p.id, group: sel.value });
      li.append(label, " ", sel);
      return li;
    }));
  }
  // Presence is room.js's: the move list follows it every few seconds.
  if (fac) setInterval(() => {
    const of = new Map();
    for (const x of view.groups) for (const p of x.members) of.set(p.id, x.id);
    const ps = [...api.people().values()].filter((p) => p.role !== "facilitator").sort((a, b) => a.name.localeCompare(b.name));
    if (ps.map((p) => p.id + of.get(p.id)).join() + view.groups.length + view.running !== peopleKey) renderControls();
  }, 3000);

  api.onSnapshot((s) => { if (s.breakouts) { view = s.breakouts; mine = s.breakouts.mine || ""; render(); } });
  api.on("breakout.start", (m) => { view = m.breakouts; mine = ""; for (const g of view.groups) if (g.members.some((p) => p.id === api.me()?.id)) mine = g.id; render(); });
  api.on("breakout.end", (m) => { view = m.breakouts; render(); });
  api.on("breakout.move", (m) => { setMember(m.member, m.group); render(); });
  api.on("breakout.pick", (m) => { setMember(m.member, m.group); render(); });
  api.on("breakout.visit", (m) => { if (m.group) view.visits[m.member.id] = m.group; else delete view.visits[m.member.id]; render(); });
  api.on("breakout.rename", (m) => { const g = view.groups.find((y) => y.id === m.group); if (g) g.name = m.name; render(); api.setGroupName(name); });
  api.on("breakout.broadcast", (m) => { view.message = { text: m.text, html: m.html, at: m.at }; render(); });

  if (!fac) return;
  const on = (sel, fn) => { const el = root.querySelector(sel); if (el) el.addEventListener(el.tagName === "SELECT" ? "change" : "click", fn); };
  const modeSel = $("[data-ctl-breakout-mode]");
  const showMode = () => {
    for (const el of root.querySelectorAll("[data-ctl-breakout-for]")) el.hidden = !el.dataset.ctlBreakoutFor.split(" ").includes(modeSel.value);
  };
  if (modeSel) { modeSel.addEventListener("change", showMode); showMode(); }
  on("[data-ctl-breakout-start]", () => {
    const v = (s) => $(s).value;
    const names = v("[data-ctl-breakout-names]").split("\n").map((x) => x.trim());
    while (names.length && !names[names.length - 1]) names.pop();
    send({ type: "breakout.start", mode: v("[data-ctl-breakout-mode]"), size: Number(v("[data-ctl-breakout-size]")), count: Number(v("[data-ctl-breakout-count]")),
      attribute: v("[data-ctl-breakout-attribute]"), names, seconds: Math.round(Number(v("[data-ctl-breakout-minutes]")) * 60) });
  });
  on("[data-ctl-breakout-visit]", (e) => send({ type: "breakout.visit", group: e.target.value }));
  on("[data-ctl-breakout-broadcast-send]", () => { const i = $("[data-ctl-breakout-broadcast]"); if (i.value.trim()) send({ type: "breakout.broadcast", text: i.value }); i.value = ""; });
  on("[data-ctl-breakout-end]", () => send({ type: "breakout.end" }));
  on("[data-ctl-breakout-rename]", () => {
    const g = $("[data-ctl-breakout-rename-group]").value, input = $("[data-ctl-breakout-rename-name]");
    if (g) { send({ type: "breakout.rename", group: g, name: input.value }); input.value = ""; }
  });
});
