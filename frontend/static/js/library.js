// Library pages (dates are shown in the reader's zone by portal.js's
// localTimes, like every time element). Search (form[data-library-search]): filters and the sort order
// apply as soon as they change, and on narrow screens the filters fold
// behind a "Filter" button so results come first. Without this script the
// filters are a plain section and the "Apply filters" button sends them.

const FOCUS_KEY = "library-focus";

function setup(form) {
  const toggle = form.querySelector("[data-filter-toggle]");
  const panel = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (toggle && panel) {
    form.classList.add("filters-fold");
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      panel.classList.toggle("open", open);
    });
  }

  // The page reloads with the new results; the control the member changed
  // gets the focus back, so keyboard and screen reader users keep their
  // place (and the results heading announces the new count).
  const submit = (el) => {
    try {
      sessionStorage.setItem(FOCUS_KEY, el.id || `${el.name}=${el.value}`);
    } catch (_) {
      /* storage refused: only the focus is lost */
    }
    form.requestSubmit ? form.requestSubmit() : form.submit();
  };
  form.addEventListener("change", (e) => {
    const el = e.target;
    if (el.matches('.facets input[type="checkbox"], select[name="sort"]')) submit(el);
  });

  let key = null;
  try {
    key = sessionStorage.getItem(FOCUS_KEY);
    sessionStorage.removeItem(FOCUS_KEY);
  } catch (_) {
    key = null;
  }
  if (!key) return;
  let el = document.getElementById(key);
  if (!el && key.includes("=")) {
    const [name, value] = key.split("=", 2);
    el = form.querySelector(`input[name="${CSS.escape(name)}"][value="${CSS.escape(value)}"]`);
  }
  if (el) {
    if (toggle && panel && panel.contains(el)) {
      toggle.setAttribute("aria-expanded", "true");
      panel.classList.add("open");
    }
    el.focus();
  }
}

document.querySelectorAll("form[data-library-search]").forEach(setup);
