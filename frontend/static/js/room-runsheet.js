// The facilitator's run-sheet in the room: one button per prepared step
// sends the agenda move, then the step's own command (poll.open,
// board.open, breakout.start, timer, announce), and marks the step done.
// Done marks are kept for the tab's session, so a reload keeps them.
(window.roomTools ||= []).push((api) => {
  if (!api.fac) return;
  const list = api.root.querySelector("[data-runsheet]");
  if (!list) return;
  const status = api.root.querySelector("[data-runsheet-status]");
  const storeKey = "runsheet-done:" + (api.root.dataset.workshop || "");
  let done = new Set();
  try { done = new Set(JSON.parse(sessionStorage.getItem(storeKey) || "[]")); } catch { done = new Set(); }
  const mark = (li) => {
    li.dataset.done = "1";
    const s = li.querySelector("[data-step-state]");
    if (s) s.textContent = api.t("runsheet-done");
  };
  for (const li of list.querySelectorAll("[data-step]")) {
    const n = li.dataset.step;
    if (done.has(n)) mark(li);
    const button = li.querySelector("button");
    if (!button) continue;
    button.addEventListener("click", () => {
      let frame;
      try { frame = JSON.parse(li.dataset.stepFrame); } catch { return; }
      const agenda = Number(li.dataset.stepAgenda);
      if (agenda >= 0) api.send({ type: "agenda", item: agenda });
      api.send(frame);
      done.add(n);
      try { sessionStorage.setItem(storeKey, JSON.stringify([...done])); } catch { /* private mode: marks last until reload */ }
      mark(li);
      if (status) status.textContent = api.t("runsheet-sent").replace("{0}", n);
      setNext();
    });
  }
  // "Next" runs the first step not yet done, so a facilitator can go
  // through the whole sheet with one button.
  const next = api.root.querySelector("[data-runsheet-next]");
  // The list scrolls inside its box (the stage's activity stays in view
  // below it); the next step is kept in sight.
  function setNext() {
    const li = list.querySelector("[data-step]:not([data-done])");
    if (next) next.disabled = !li;
    if (li) list.scrollTop = Math.max(0, li.offsetTop - list.offsetTop - list.clientHeight / 3);
  }
  if (next) next.addEventListener("click", () => {
    const li = list.querySelector("[data-step]:not([data-done])");
    if (li) li.querySelector("button").click();
    next.focus();
  });
  setNext();
});
