// Small DOM helpers: everything the console shows from the API goes in as text, never as HTML.

/** `document.getElementById`. */
export const $ = (id) => document.getElementById(id);

/**
 * Makes an element: `attrs` are set as properties (`on*` functions as listeners, `dataset`/`aria-*` as attributes),
 * children are nodes or text.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function')
      node.addEventListener(name.slice(2), value);
    else if (name.startsWith('aria-') || name.startsWith('data-') || name === 'role')
      node.setAttribute(name, String(value));
    else node[name] = value;
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Shows a status line (an error in red). */
export function say(id, text, error = false) {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle('error', error);
}

/** Bytes as people read them. */
export function bytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** A date in the reader's locale. */
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '–');

/** Asks a yes/no question in the page's modal dialog; resolves true for yes. */
export function confirmDialog(text) {
  const dialog = $('confirm-dialog');
  $('confirm-text').textContent = text;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) =>
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }),
  );
}
