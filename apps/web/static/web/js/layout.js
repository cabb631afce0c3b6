// What every page shares: the account corner of the header, and a fresh token meanwhile.

import { h } from "./dom.js";
import { currentSession, scheduleRefresh, signOut } from "./session.js";

export function setUpPage() {
  const corner = document.getElementById("account");
  const session = currentSession();
  if (session) {
    scheduleRefresh();
    corner.replaceChildren(
      h("span", { class: "who" }, session.username),
      h(
        "button",
        {
          type: "button",
          class: "link-button",
          onclick: () => {
            signOut();
            location.assign("/");
          },
        },
        "Sign out",
      ),
    );
  } else {
    const next = encodeURIComponent(location.pathname + location.search);
    corner.replaceChildren(
      h("a", { href: `/signin?next=${next}` }, "Sign in"),
      h("a", { href: `/signup?next=${next}`, class: "button small" }, "Sign up"),
    );
  }
  for (const link of document.querySelectorAll(".site-nav a[href]")) {
    if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
  }
}
