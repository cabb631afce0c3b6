// Building the pages' elements without innerHTML (API text never becomes markup).

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

export const byId = (id) => document.getElementById(id);

export function show(element, text) {
  if (text !== undefined) element.textContent = text;
  element.hidden = false;
}

export function hide(element) {
  element.hidden = true;
}

/** Says it to screen readers through a polite live region (the element with id "live"). */
export function announce(text) {
  const live = byId("live");
  if (live && live.textContent !== text) live.textContent = text;
}
