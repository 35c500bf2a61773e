// The API on this origin (/api), called with the key the user gave. The key lives in sessionStorage only (gone
// when the tab closes) and is sent only in the Authorization header; it is never written to the page or a log.
const STORE = 'storage-console-key';

export const apiKey = {
  get: () => sessionStorage.getItem(STORE) ?? '',
  set: (key) => sessionStorage.setItem(STORE, key),
  clear: () => sessionStorage.removeItem(STORE),
};

/** A failure the API reported, with its `code` (E_…) when there is one. */
export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(code ? `${code}: ${message}` : message);
    this.status = status;
    this.code = code;
  }
}

/** Calls `/api<path>`; JSON in and out; throws {@link ApiFailure}. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const key = apiKey.get();
  if (!key) throw new ApiFailure(401, 'E_UNAUTHORIZED', 'Enter an API key first');
  const headers = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api${path}`, {
    method,
    headers,
    signal,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok)
    throw new ApiFailure(res.status, data.error?.code, data.error?.message ?? `HTTP ${res.status}`);
  return data;
}

/** A key path for a URL: each segment encoded, slashes kept. */
export const keyPath = (key) => key.split('/').map(encodeURIComponent).join('/');
