// The room's layout: the agenda step in the top bar, the room scrolled to
// fill the window on entry, the presenter view, and on narrow screens the
// stage, chat and people as tabs (an ARIA tablist with arrow keys) whose
// badges count what arrived while they were not shown. The room's logic
// stays in room.js and the tool modules; this only arranges.
const root = document.getElementById("room");
if (root && root.querySelector("[data-room-body]")) layout(root);

function layout(root) {
  const $ = (sel) => root.querySelector(sel);
  const t = (k, n) => (root.dataset["t" + k.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())] || k).replace("{0}", n);

  // The current agenda step, named in the top bar.
  const agenda = $("[data-room-agenda]"), step = $("[data-room-step]");
  if (agenda && step) {
    new MutationObserver(() => {
      const cur = agenda.querySelector("li[aria-current]");
      step.textContent = cur ? cur.textContent : "–";
    }).observe(agenda, { childList: true, subtree: true, attributes: true });
  }

  // Entering brings the whole room into the window: the stage, the chat
  // input and the hand button are then in view without scrolling.
  const enter = $("[data-room-enter]");
  if (enter) enter.addEventListener("click", () => root.scrollIntoView({ block: "start" }));

  // Presenter view: the stage alone, results large, for a projector or a
  // shared screen.
  const present = $("[data-room-present]");
  if (present) present.addEventListener("click", () => {
    const on = present.getAttribute("aria-pressed") !== "true";
    present.setAttribute("aria-pressed", String(on));
    root.classList.toggle("room-presenting", on);
  });

  // Tabs on narrow screens.
  const narrow = window.matchMedia("(max-width: 48rem)");
  const tablist = $("[data-room-tabs]");
  if (!tablist) return;
  const tabs = [...tablist.querySelectorAll("[data-room-tab]")];
  const panel = (tab) => document.getElementById(tab.getAttribute("aria-controls"));
  // Each panel's own name on a wide screen, given back when the tabs go.
  const names = new Map(tabs.map((tab) => [tab, ["aria-label", "aria-labelledby"].map((a) => [a, panel(tab).getAttribute(a)])]));
  const unseen = new Map(tabs.map((tab) => [tab.dataset.roomTab, 0]));
  const tabOf = (name) => tabs.find((tab) => tab.dataset.roomTab === name);
  let selected = tabs[0];

  function badge(name) {
    const tab = tabOf(name), b = tab.querySelector("[data-room-badge]"), n = unseen.get(name);
    b.hidden = !n;
    b.replaceChildren();
    if (!n) return;
    const num = document.createElement("span");
    num.textContent = String(n); num.setAttribute("aria-hidden", "true");
    const said = document.createElement("span");
    said.className = "visually-hidden"; said.textContent = t("unseen", n);
    b.append(num, said);
  }
  function count(name, n) {
    if (!tablist.hidden && selected.dataset.roomTab !== name && n > 0) { unseen.set(name, unseen.get(name) + n); badge(name); }
  }
  function select(tab, focus) {
    selected = tab;
    for (const other of tabs) {
      const on = other === tab;
      if (tablist.hidden) continue;
      other.setAttribute("aria-selected", String(on));
      other.tabIndex = on ? 0 : -1;
      panel(other).hidden = !on;
    }
    unseen.set(tab.dataset.roomTab, 0); badge(tab.dataset.roomTab);
    if (tab.dataset.roomTab === "chat") seenChat();
    if (focus) tab.focus();
    // The tabs stay at the top (sticky); the chat's input is in view one
    // tap after its tab.
    if (!tablist.hidden) {
      tablist.scrollIntoView({ block: "start" });
      if (tab.dataset.roomTab === "chat") $("[data-room-chatform]").scrollIntoView({ block: "nearest" });
    }
  }
  // The roles are given only while the tabs are shown, so that the
  // served page (and a wide screen) has no tab without its panel.
  function apply() {
    const on = narrow.matches;
    tablist.hidden = !on;
    root.classList.toggle("room-tabbed", on);
    if (on) { tablist.setAttribute("role", "tablist"); tablist.setAttribute("aria-label", tablist.dataset.label); }
    else { tablist.removeAttribute("role"); tablist.removeAttribute("aria-label"); }
    for (const tab of tabs) {
      const p = panel(tab);
      if (on) {
        tab.setAttribute("role", "tab"); tab.setAttribute("aria-selected", String(tab === selected)); tab.tabIndex = tab === selected ? 0 : -1;
        p.setAttribute("role", "tabpanel"); p.removeAttribute("aria-label"); p.setAttribute("aria-labelledby", tab.id); p.tabIndex = -1;
        p.hidden = tab !== selected;
      } else {
        tab.removeAttribute("role"); tab.removeAttribute("aria-selected"); tab.removeAttribute("tabindex");
        p.setAttribute("role", "region"); p.removeAttribute("tabindex"); p.hidden = false;
        for (const [a, v] of names.get(tab)) { if (v === null) p.removeAttribute(a); else p.setAttribute(a, v); }
      }
    }
  }
  for (const tab of tabs) tab.addEventListener("click", () => select(tab, false));
  tablist.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(selected);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    select(tabs[(to + tabs.length) % tabs.length], true);
  });
  narrow.addEventListener("change", apply);
  apply();

  // What counts as unseen: chat messages newer than the newest one shown
  // (the history a member gets on entering is not news), activity that
  // starts on the stage, and hands going up.
  const chat = $("[data-room-chat]");
  let chatSeen = null;
  const newest = () => Math.max(-1, ...[...chat.querySelectorAll("li[data-seq]")].map((li) => Number(li.dataset.seq)));
  function seenChat() { chatSeen = newest(); }
  // A snapshot (entering, or a reconnect without replay) brings the
  // history: whatever it holds counts as seen. (Its handlers run once the
  // chat is drawn.)
  (window.roomTools ||= []).push((api) => api.onSnapshot(() => { seenChat(); }));
  new MutationObserver(() => {
    const top = newest();
    if (chatSeen === null) { chatSeen = top; return; }
    if (selected.dataset.roomTab === "chat" || tablist.hidden) { chatSeen = top; return; }
    const n = [...chat.querySelectorAll("li[data-seq]")].filter((li) => Number(li.dataset.seq) > chatSeen).length;
    unseen.set("chat", 0); count("chat", n);
  }).observe(chat, { childList: true });
  root.addEventListener("room:activity", () => count("stage", 1));
  const hands = $("[data-room-hands]");
  let handsN = 0;
  new MutationObserver(() => {
    const n = hands.querySelectorAll(":scope > li").length;
    count("people", n - handsN);
    handsN = n;
  }).observe(hands, { childList: true });

  // The banner's button takes a member to what started: on a phone, the
  // stage tab first (capture, so the stage is shown before room.js
  // scrolls to it and moves focus into it).
  const show = $("[data-room-activity-show]");
  if (show) show.addEventListener("click", () => { if (!tablist.hidden) select(tabOf("stage"), false); }, true);
}
