import { api } from "../api.js";
import { byId, hide, show } from "../dom.js";
import { setUpPage } from "../layout.js";
import { messageFor } from "../messages.js";
import { nextPath, signIn } from "../session.js";

setUpPage();
const form = byId("signin");
byId("signup-link").href = `/signup?next=${encodeURIComponent(nextPath())}`;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button");
  const username = byId("username").value.trim();
  const password = byId("password").value;
  hide(byId("form-error"));
  if (!username || !password) {
    show(byId("form-error"), "Enter your username and password.");
    return;
  }
  button.disabled = true;
  try {
    const { body } = await api("/api/v1/auth/token", {
      method: "POST",
      body: { username, password },
    });
    signIn({ username, access: body.access, refresh: body.refresh });
    location.assign(nextPath());
  } catch (error) {
    show(byId("form-error"), messageFor(error));
    byId("password").focus();
  } finally {
    button.disabled = false;
  }
});
