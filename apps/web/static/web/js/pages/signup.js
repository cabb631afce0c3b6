import { api } from "../api.js";
import { byId, hide, show } from "../dom.js";
import { setUpPage } from "../layout.js";
import { fieldErrors, messageFor } from "../messages.js";
import { nextPath, signIn } from "../session.js";

setUpPage();
const form = byId("signup");
const FIELDS = ["username", "email", "password"];
byId("signin-link").href = `/signin?next=${encodeURIComponent(nextPath())}`;

function fieldError(field, text) {
  const input = byId(field);
  const message = byId(`${field}-error`);
  if (text) {
    show(message, text);
    input.setAttribute("aria-invalid", "true");
  } else {
    hide(message);
    input.removeAttribute("aria-invalid");
  }
}

function checkedLocally(values) {
  const problems = {};
  if (values.username.length < 3) problems.username = "At least 3 characters.";
  if (!byId("email").checkValidity() || !values.email) problems.email = "Enter your email address.";
  if (values.password.length < 8) problems.password = "At least 8 characters.";
  return problems;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = Object.fromEntries(FIELDS.map((f) => [f, byId(f).value.trim()]));
  values.password = byId("password").value;
  hide(byId("form-error"));
  const local = checkedLocally(values);
  FIELDS.forEach((f) => fieldError(f, local[f]));
  if (Object.keys(local).length) {
    byId(Object.keys(local)[0]).focus();
    return;
  }
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const credentials = { username: values.username, password: values.password };
    await api("/api/v1/users", { method: "POST", body: credentials });
    const { body } = await api("/api/v1/auth/token", { method: "POST", body: credentials });
    signIn({ username: values.username, access: body.access, refresh: body.refresh });
    await api("/api/v1/me/email", { method: "PUT", auth: true, body: { email: values.email } });
    location.assign(nextPath());
  } catch (error) {
    const fields = fieldErrors(error);
    FIELDS.forEach((f) => fieldError(f, fields[f]));
    if (error.code === "username_taken") fieldError("username", messageFor(error));
    else show(byId("form-error"), messageFor(error, { invalid: "Please check the fields above." }));
  } finally {
    button.disabled = false;
  }
});
